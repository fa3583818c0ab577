package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Transition;
import io.quarkus.arc.All;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/** Runs every {@link TransitionHook}, one after another, on the transaction that made the change. */
@ApplicationScoped
public class TransitionHooks {

    private final List<TransitionHook> hooks;

    TransitionHooks(@All List<TransitionHook> hooks) {
        this.hooks = hooks;
    }

    public Uni<Void> after(SqlClient tx, List<Transition> transitions, long now) {
        if (transitions.isEmpty() || hooks.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (TransitionHook hook : hooks) {
            chain = chain.flatMap(v -> hook.after(tx, transitions, now));
        }
        return chain;
    }
}
