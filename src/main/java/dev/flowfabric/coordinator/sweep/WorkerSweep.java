package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.service.Transactions;
import dev.flowfabric.coordinator.store.WorkerStore;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;

/**
 * Registrations that missed their liveness TTL are deleted; the worker must register again. Its
 * leases are not touched: they end by their own expiry.
 */
@ApplicationScoped
public class WorkerSweep {

    private final Transactions tx;
    private final FlowMetrics metrics;

    private final WorkerStore store;
    private final Clock clock;
    private final int batch;

    WorkerSweep(WorkerStore store, Clock clock, FlowfabricConfig config, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.store = store;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
    }

    @Scheduled(every = "${flowfabric.sweep.worker-every:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        return metrics.scannerCycle("worker_registry_ttl", () -> sweepOnce(clock.millis())).replaceWithVoid();
    }

    /** Deletes expired registrations, batch by batch; returns how many. */
    public Uni<Integer> sweepOnce(long now) {
        return tx.runWithCustomPlans(c -> store.sweepExpired(c, now, batch))
                .flatMap(n -> n < batch ? Uni.createFrom().item(n) : sweepOnce(now).map(more -> n + more));
    }
}
