package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.service.Transactions;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.service.FlowCancels;
import dev.flowfabric.coordinator.service.FlowResolution;
import dev.flowfabric.coordinator.store.EdgeStore;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;

/**
 * Flow repair (model.md §3): resolution happens in the transaction of each upstream's end, so
 * this only finishes what a crash or a direct write left behind: edges still pending although
 * their upstream ended, waiting members whose join is decided, and member cancels still owed.
 */
@ApplicationScoped
public class FlowRepairSweep {

    private final Transactions tx;
    private final EdgeStore edges;
    private final FlowResolution resolution;
    private final FlowCancels cancels;
    private final Clock clock;
    private final int batch;
    private final FlowMetrics metrics;

    FlowRepairSweep(EdgeStore edges, FlowResolution resolution, FlowCancels cancels, Clock clock,
                    FlowfabricConfig config, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.edges = edges;
        this.resolution = resolution;
        this.cancels = cancels;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
    }

    @Scheduled(every = "${flowfabric.flow.repair-every:15s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        return metrics.scannerCycle("flow_repair", () -> sweepOnce(clock.millis()))
                .chain(() -> cancels.owedDepth()).invoke(metrics::cancelBacklogDepth).replaceWithVoid();
    }

    /** One pass; returns how many upstreams, waiting members and owed cancels it handled. */
    public Uni<Integer> sweepOnce(long now) {
        return endedUpstreams(now)
                .flatMap(a -> stuckGated(now).map(b -> a + b))
                .flatMap(ab -> cancels.drainOwed().map(c -> ab + c));
    }

    private Uni<Integer> endedUpstreams(long now) {
        return tx.runWithCustomPlans(c -> edges.lockFinishedWithPendingEdges(c, batch)
                        .call(ended -> resolution.repairEnded(c, ended, now)))
                .flatMap(ended -> ended.size() < batch ? Uni.createFrom().item(ended.size())
                        : endedUpstreams(now).map(more -> ended.size() + more));
    }

    private Uni<Integer> stuckGated(long now) {
        return tx.runWithCustomPlans(c -> edges.lockStuckGated(c, batch)
                        .call(gated -> resolution.repairGated(c, gated, now)))
                .flatMap(gated -> gated.size() < batch ? Uni.createFrom().item(gated.size())
                        : stuckGated(now).map(more -> gated.size() + more));
    }
}
