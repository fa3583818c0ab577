package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.function.Supplier;

/** Shared plumbing of the sweeps. */
final class Sweeps {

    private Sweeps() {
    }

    /** NOTIFY (delivered on commit) for lanes that got claimable work. */
    static Uni<Void> notify(SqlConnection c, ExecutionStore store, WorkSignals signals, Map<String, Integer> lanes) {
        return Multi.createFrom().iterable(lanes.entrySet())
                .onItem().transformToUniAndConcatenate(e -> store.notifyWork(c, signals.payload(e.getKey(), e.getValue())))
                .collect().last().replaceWithVoid();
    }

    /**
     * Runs batches until one comes back short, waking local claimers after each commit; returns
     * the total. Each batch is its own transaction, so a replica that dies mid-sweep loses nothing.
     */
    static Uni<Integer> drain(Supplier<Uni<Map<String, Integer>>> batch, WorkSignals signals, int batchSize) {
        return batch.get().flatMap(lanes -> {
            signals.wake(lanes);
            int n = lanes.values().stream().mapToInt(Integer::intValue).sum();
            if (n < batchSize || signals.closed()) {
                return Uni.createFrom().item(n);
            }
            return drain(batch, signals, batchSize).map(more -> n + more);
        });
    }

    /** Scheduled sweeps wait for shutdown to finish cleanly rather than start a batch. */
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
