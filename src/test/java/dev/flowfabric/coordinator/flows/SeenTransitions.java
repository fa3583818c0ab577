package dev.flowfabric.coordinator.flows;

import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.service.TransitionHook;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A hook standing for the other features: it records the flow-member transitions every hook is shown. */
@ApplicationScoped
public class SeenTransitions implements TransitionHook {

    private final Map<UUID, List<String>> seen = new ConcurrentHashMap<>();

    @Override
    public Uni<Void> after(SqlClient tx, List<Transition> transitions, long now) {
        for (Transition t : transitions) {
            if (t.flowId() != null) {
                seen.computeIfAbsent(t.executionId(), k -> new CopyOnWriteArrayList<>()).add(t.publicState());
            }
        }
        return Uni.createFrom().voidItem();
    }

    /** The public states the hooks saw this execution move to, in order. */
    List<String> of(String executionId) {
        return seen.getOrDefault(UUID.fromString(executionId), List.of());
    }
}
