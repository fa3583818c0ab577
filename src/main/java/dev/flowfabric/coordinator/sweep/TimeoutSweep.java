package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.service.Transactions;
import dev.flowfabric.coordinator.domain.States.FailureCategory;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.service.LeaseService;
import dev.flowfabric.coordinator.service.TransitionHooks;
import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.List;

/**
 * Attempts that ran past {@code attempt_timeout_ms} fail with category {@code timeout} (a retry
 * per policy, else {@code expired}); executions past {@code deadline_at_ms} expire wherever they are.
 */
@ApplicationScoped
public class TimeoutSweep {

    private static final String TIMEOUT_ERROR = "{\"message\":\"attempt timed out\",\"category\":\"timeout\"}";
    private static final String DEADLINE_ERROR = "{\"message\":\"execution deadline passed\",\"category\":\"timeout\"}";
    private static final List<String> NON_TERMINAL = List.of("submitted", "runnable", "active", "suspended");

    private final Transactions tx;
    private final ExecutionStore store;
    private final LeaseService leases;
    private final TransitionHooks hooks;
    private final WorkSignals signals;
    private final Clock clock;
    private final FlowMetrics metrics;
    private final int batch;

    TimeoutSweep(ExecutionStore store, LeaseService leases, TransitionHooks hooks, WorkSignals signals,
                 Clock clock, FlowfabricConfig config, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.hooks = hooks;
        this.signals = signals;
        this.store = store;
        this.leases = leases;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
    }

    @Scheduled(every = "${flowfabric.sweep.timeout-every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        long now = clock.millis();
        return metrics.scannerCycle("attempt_timeout", () -> attemptTimeouts(now))
                .chain(() -> metrics.scannerCycle("execution_deadline", () -> deadlines(now)))
                .replaceWithVoid();
    }

    /** Returns how many executions timed out or expired. */
    public Uni<Integer> sweepOnce(long now) {
        return attemptTimeouts(now).flatMap(a -> deadlines(now).map(d -> a + d));
    }

    /** Each timed-out attempt fails like a worker's {@code fail} with category timeout (hooks run there). */
    private Uni<Integer> attemptTimeouts(long now) {
        return tx.runWithCustomPlans(c -> store.lockTimedOut(c, now, batch).flatMap(locked -> Multi.createFrom()
                        .iterable(locked)
                        .onItem().transformToUniAndConcatenate(l -> leases.failLocked(c, l, TIMEOUT_ERROR,
                                FailureCategory.TIMEOUT, true, "timeout", now))
                        .collect().asList()))
                .map(outcomes -> {
                    outcomes.forEach(o -> signals.wakeCommitted(o.transitions()));
                    return outcomes.size();
                });
    }

    private Uni<Integer> deadlines(long now) {
        var termination = new ExecutionStore.Termination("expired", "expired", NON_TERMINAL, "deadline",
                "execution.expired", DEADLINE_ERROR);
        return tx.runWithCustomPlans(c -> store.lockPastDeadline(c, now, batch).flatMap(ids -> Multi.createFrom()
                .iterable(ids)
                .onItem().transformToUniAndConcatenate(id -> store.terminate(c, id, termination, now))
                .collect().asList()
                .flatMap(ended -> {
                    List<Transition> t = ended.stream().flatMap(java.util.Optional::stream)
                            .map(ExecutionStore.Ended::transition).toList();
                    return hooks.after(c, t, now).replaceWith(t.size());
                })));
    }
}
