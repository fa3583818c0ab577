package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Transition;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;

import java.util.List;

/**
 * Work that must commit or roll back with a state change: a bean implementing this is called
 * inside the transaction of every execution transition, after its guarded statements ran.
 * A hook that changes more executions reports those through {@link TransitionHooks} again.
 */
public interface TransitionHook {

    Uni<Void> after(SqlClient tx, List<Transition> transitions, long now);
}
