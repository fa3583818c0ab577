package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.store.SuspensionStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/**
 * In the transaction that ends an execution, closes its open waitpoints and suspension (a later
 * signal gets 409 waitpoint_closed); when a lease ends, tells stream tails of attempts with output
 * to look again. Claims and other lease starts cost nothing; an ending costs one statement that
 * only probes partial indexes, so executions that never had waitpoints or frames stay cheap.
 */
@ApplicationScoped
public class SuspensionHook implements TransitionHook {

    private final SuspensionStore store;

    SuspensionHook(SuspensionStore store) {
        this.store = store;
    }

    @Override
    public Uni<Void> after(SqlClient tx, List<Transition> transitions, long now) {
        List<Transition> ended = transitions.stream().filter(Transition::terminal).toList();
        List<Transition> leaseEnded = transitions.stream().filter(t -> t.leaseEnded() || t.terminal()).toList();
        if (ended.isEmpty() && leaseEnded.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return store.onTransitions(tx, ended, leaseEnded, now);
    }
}
