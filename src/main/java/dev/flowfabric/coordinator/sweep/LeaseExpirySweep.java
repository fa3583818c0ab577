package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.Map;

/**
 * Active executions whose lease lapsed become claimable again (model.md §3); the next claim is a
 * reclaim with a higher epoch, so the dead worker's late calls are refused.
 */
@ApplicationScoped
public class LeaseExpirySweep {

    private final Pool pool;
    private final ExecutionStore store;
    private final WorkSignals signals;
    private final Clock clock;
    private final int batch;

    LeaseExpirySweep(Pool pool, ExecutionStore store, WorkSignals signals, Clock clock, FlowfabricConfig config) {
        this.pool = pool;
        this.store = store;
        this.signals = signals;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
    }

    @Scheduled(every = "${flowfabric.sweep.lease-expiry-every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        return sweepOnce(clock.millis()).replaceWithVoid();
    }

    /** One bounded batch; returns how many executions it made claimable. */
    public Uni<Integer> sweepOnce(long now) {
        return Sweeps.drain(() -> pool.withTransaction(c -> store.expireLeases(c, now, batch)
                .call(lanes -> Sweeps.notify(c, store, signals, lanes))), signals, batch);
    }
}
