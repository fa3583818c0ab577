package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.OnTimeout;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.domain.Wire;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.service.Transactions;
import dev.flowfabric.coordinator.service.TransitionHooks;
import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.ExecutionStore;
import dev.flowfabric.coordinator.store.SuspensionStore;
import dev.flowfabric.coordinator.store.SuspensionStore.TimedOut;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Suspensions past their timeout apply {@code on_timeout} (model.md §3): {@code resume} makes the
 * execution claimable with a signal named {@code timeout}; {@code fail}, {@code cancel} and
 * {@code expire} end it. Pending waitpoints past their expiry become {@code expired}.
 */
@ApplicationScoped
public class SuspensionSweep {

    private static final String TIMEOUT_ERROR = "{\"message\":\"suspension timed out\",\"category\":\"timeout\"}";
    private static final List<String> SUSPENDED = List.of("suspended");

    private final Transactions tx;
    private final FlowMetrics metrics;
    private final ExecutionStore executions;
    private final SuspensionStore store;
    private final WorkSignals signals;
    private final TransitionHooks hooks;
    private final Clock clock;
    private final int batch;

    SuspensionSweep(Transactions tx, ExecutionStore executions, SuspensionStore store, WorkSignals signals,
                    TransitionHooks hooks, Clock clock, FlowfabricConfig config, FlowMetrics metrics) {
        this.tx = tx;
        this.metrics = metrics;
        this.executions = executions;
        this.store = store;
        this.signals = signals;
        this.hooks = hooks;
        this.clock = clock;
        this.batch = config.sweep().batchSize();
    }

    @Scheduled(every = "${flowfabric.sweep.suspension-every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        return metrics.scannerCycle("suspension_timeout", () -> sweepOnce(clock.millis())).replaceWithVoid();
    }

    /** Returns how many suspensions timed out plus how many pending waitpoints expired. */
    public Uni<Integer> sweepOnce(long now) {
        return Sweeps.drain(tx, hooks, signals, batch, now, c -> store.lockTimedOut(c, now, batch)
                        .chain(due -> Multi.createFrom().iterable(due)
                                .onItem().transformToUniAndConcatenate(t -> timeOut(c, t, now))
                                .collect().asList()
                                .map(done -> done.stream().flatMap(Optional::stream).toList())))
                .chain(timedOut -> expirePending(now).map(expired -> timedOut + expired));
    }

    private Uni<Optional<Transition>> timeOut(SqlConnection c, TimedOut t, long now) {
        OnTimeout action = Wire.parse(OnTimeout.class, t.onTimeout());
        boolean resume = action == OnTimeout.RESUME;
        return store.close(c, t.suspensionId(), "timeout", "expired", resume, now).chain(() -> {
            if (resume) {
                return store.insertTimeoutSignal(c, t, now)
                        .chain(() -> store.resumeExecution(c, t.partitionKey(), t.executionId(), t.suspensionId(),
                                "timeout", now))
                        .map(e -> e.map(x -> Transition.of(x, false, false)));
            }
            var termination = new ExecutionStore.Termination(action.terminalOutcome(), action.attemptOutcome(),
                    SUSPENDED, "suspension_timeout", action.eventType(), TIMEOUT_ERROR);
            return executions.terminate(c, t.executionId(), termination, now)
                    .map(e -> e.map(ExecutionStore.Ended::transition));
        });
    }

    private Uni<Integer> expirePending(long now) {
        return tx.runWithCustomPlans(c -> store.expirePending(c, now, batch)).chain(n -> n < batch || signals.closed()
                ? Uni.createFrom().item(n)
                : expirePending(now).map(more -> n + more));
    }
}
