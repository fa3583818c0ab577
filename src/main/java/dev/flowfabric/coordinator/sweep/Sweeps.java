package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.service.TransitionHooks;
import dev.flowfabric.coordinator.service.WorkSignals;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import io.smallrye.mutiny.Uni;
import dev.flowfabric.coordinator.service.Transactions;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.function.Function;

/** Shared plumbing of the sweeps. */
final class Sweeps {

    private Sweeps() {
    }

    /**
     * Runs {@code batch} in its own transaction (with hooks and NOTIFY), then again until a batch
     * comes back short, waking local claimers after each commit. Returns the total. A replica that
     * dies mid-sweep loses nothing: each batch commits or rolls back whole.
     */
    static Uni<Integer> drain(Transactions tx, TransitionHooks hooks, WorkSignals signals, int batchSize, long now,
                              Function<SqlConnection, Uni<List<Transition>>> batch) {
        return tx.runWithCustomPlans(c -> batch.apply(c)
                        .call(t -> hooks.after(c, t, now))
                        .call(t -> signals.announce(c, t)))
                .flatMap(t -> {
                    signals.wakeCommitted(t);
                    if (t.size() < batchSize || signals.closed()) {
                        return Uni.createFrom().item(t.size());
                    }
                    return drain(tx, hooks, signals, batchSize, now, batch).map(more -> t.size() + more);
                });
    }

    /** Scheduled sweeps stop starting batches once the service shuts down. */
    @Singleton
    static class NotReady implements Scheduled.SkipPredicate {
        private final WorkSignals signals;

        NotReady(WorkSignals signals) {
            this.signals = signals;
        }

        @Override
        public boolean test(ScheduledExecution execution) {
            return signals.closed();
        }
    }
}
