package dev.flowfabric.coordinator.metrics;

import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.service.TransitionHook;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/**
 * Counts claims and terminal outcomes by lane from every execution transition, once its
 * transaction commits: a rolled-back change is never counted.
 */
@ApplicationScoped
public class TransitionMetrics implements TransitionHook {

    private final FlowMetrics metrics;

    TransitionMetrics(FlowMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public Uni<Void> after(SqlClient tx, List<Transition> transitions, long now) {
        List<Transition> counted = List.copyOf(transitions);
        metrics.afterCommit(tx, () -> counted.forEach(metrics::transitioned));
        return Uni.createFrom().voidItem();
    }
}
