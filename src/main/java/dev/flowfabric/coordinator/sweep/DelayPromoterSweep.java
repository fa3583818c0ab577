package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.service.TransitionHooks;
import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import dev.flowfabric.coordinator.service.Transactions;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;

/** Delayed executions and retries whose backoff ended become claimable. */
@ApplicationScoped
public class DelayPromoterSweep {

    private final Transactions tx;
    private final ExecutionStore store;
    private final WorkSignals signals;
    private final TransitionHooks hooks;
    private final Clock clock;
    private final FlowMetrics metrics;
    private final int batch;

    DelayPromoterSweep(Transactions tx, ExecutionStore store, WorkSignals signals, TransitionHooks hooks, Clock clock,
            FlowfabricConfig config, FlowMetrics metrics) {
        this.metrics = metrics;
        this.hooks = hooks;
        this.tx = tx;
        this.store = store;
        this.signals = signals;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
    }

    @Scheduled(every = "${flowfabric.sweep.delay-promoter-every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        return metrics.scannerCycle("delayed_promoter", () -> sweepOnce(clock.millis())).replaceWithVoid();
    }

    public Uni<Integer> sweepOnce(long now) {
        return Sweeps.drain(tx, hooks, signals, batch, now, c -> store.promoteDelayed(c, now, batch));
    }
}
