package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.service.BudgetService;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;

/**
 * Budgets whose {@code reset_interval_ms} came round are reset (their held-back executions become
 * claimable and claimers are woken); dedup keys past their time are forgotten; executions that
 * became claimable while their budget was being exhausted are held back.
 */
@ApplicationScoped
public class BudgetSweep {

    private final FlowMetrics metrics;

    private final BudgetService budgets;
    private final Clock clock;
    private final int batch;

    BudgetSweep(BudgetService budgets, Clock clock, FlowfabricConfig config, FlowMetrics metrics) {
        this.metrics = metrics;
        this.budgets = budgets;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
    }

    @Scheduled(every = "${flowfabric.sweep.budget-every:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        return metrics.scannerCycle("budget_reset", () -> sweepOnce(clock.millis())).replaceWithVoid();
    }

    /** Returns how many budgets were reset. */
    public Uni<Integer> sweepOnce(long now) {
        return resets(now).call(() -> budgets.forgetExpiredDedupKeys(now, batch))
                .call(() -> budgets.holdBackStragglers(now));
    }

    private Uni<Integer> resets(long now) {
        return budgets.resetDue(now, batch)
                .flatMap(n -> n < batch ? Uni.createFrom().item(n) : resets(now).map(more -> n + more));
    }
}
