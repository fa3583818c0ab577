package dev.flowfabric.coordinator.sweep;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.service.EventService;
import dev.flowfabric.coordinator.service.Transactions;
import dev.flowfabric.coordinator.service.WorkSignals;
import dev.flowfabric.coordinator.store.QuotaStore;
import dev.flowfabric.coordinator.store.RetentionStore;
import dev.flowfabric.coordinator.store.RetentionStore.DueFlow;
import dev.flowfabric.coordinator.store.RetentionStore.ExecutionKey;
import dev.flowfabric.coordinator.store.RetentionStore.FlowCandidate;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Retention (model.md §3): deletes terminal executions whose end is older than
 * {@code flowfabric.retention.executions-after}, with every row kept for them, and events older than
 * {@code flowfabric.retention.events-after}. A flow's members go only together with the flow, once
 * it ended and every member is that old. An event goes only once the outbox relay published it and
 * it is below the horizon event readers read up to, so neither the relay nor a reader's cursor
 * loses one it has not passed yet. Each batch is its own transaction over rows locked with SKIP
 * LOCKED, so replicas sweeping at once share the work.
 */
@ApplicationScoped
public class RetentionSweep {

    private static final Logger LOG = Logger.getLogger(RetentionSweep.class);

    private final Transactions tx;
    private final Pool pool;
    private final RetentionStore store;
    private final QuotaStore quotas;
    private final EventService events;
    private final WorkSignals signals;
    private final Clock clock;
    private final FlowMetrics metrics;
    private final int batch;
    private final boolean enabled;
    private final long executionsAfterMs;
    private final long eventsAfterMs;
    private final boolean relayEnabled;

    RetentionSweep(Transactions tx, Pool pool, RetentionStore store, QuotaStore quotas, EventService events,
                   WorkSignals signals, Clock clock, FlowfabricConfig config, FlowMetrics metrics) {
        this.tx = tx;
        this.pool = pool;
        this.store = store;
        this.quotas = quotas;
        this.events = events;
        this.signals = signals;
        this.clock = clock;
        this.metrics = metrics;
        this.batch = config.sweep().batchSize();
        this.enabled = config.retention().enabled();
        this.executionsAfterMs = config.retention().executionsAfter().toMillis();
        this.eventsAfterMs = config.retention().eventsAfter().toMillis();
        this.relayEnabled = config.events().relay().enabled();
    }

    @Scheduled(every = "${flowfabric.retention.every:1h}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Sweeps.NotReady.class)
    Uni<Void> tick() {
        return metrics.scannerCycle("retention", () -> sweepOnce(clock.millis())).replaceWithVoid();
    }

    /** One pass over everything due at {@code now}; returns how many executions, flows and events it deleted. */
    public Uni<Integer> sweepOnce(long now) {
        if (!enabled) {
            return Uni.createFrom().item(0);
        }
        long endedBefore = now - executionsAfterMs;
        return soloExecutions(endedBefore).flatMap(solo -> flows(endedBefore).flatMap(flows ->
                oldEvents(now - eventsAfterMs).map(evs -> {
                    if (solo + flows + evs > 0) {
                        LOG.infof("retention deleted %d executions outside flows, %d rows of finished flows"
                                + " (headers and members) and %d events", solo, flows, evs);
                    }
                    return solo + flows + evs;
                })));
    }

    /** A batch's count, and whether another batch may find more. */
    private record Batch(int deleted, boolean more) { }

    private Uni<Integer> soloExecutions(long endedBefore) {
        return repeat(() -> tx.runWithCustomPlans(c -> store.lockDueSoloExecutions(c, endedBefore, batch)
                .flatMap(due -> deleteExecutions(c, due)
                        .map(deleted -> new Batch(deleted, due.size() == batch && deleted > 0)))));
    }

    /**
     * Finished flows with their members, as many whole flows as fit in a batch of members (at
     * least one, however large).
     */
    private Uni<Integer> flows(long endedBefore) {
        return repeat(() -> tx.runWithCustomPlans(c -> store.lockDueFlows(c, endedBefore, batch).flatMap(candidates -> {
            List<FlowCandidate> taken = fitBatch(candidates);
            if (taken.isEmpty()) {
                return Uni.createFrom().item(new Batch(0, false));
            }
            boolean left = candidates.size() == batch || taken.size() < candidates.size();
            return store.lockMembers(c, taken, endedBefore).flatMap(due -> {
                List<ExecutionKey> members = new ArrayList<>();
                due.forEach(f -> members.addAll(f.members()));
                return deleteExecutions(c, members).flatMap(m -> store.deleteFlows(c, due)
                        .map(f -> new Batch(m + f, left && f > 0)));
            });
        })));
    }

    private List<FlowCandidate> fitBatch(List<FlowCandidate> candidates) {
        List<FlowCandidate> taken = new ArrayList<>();
        long members = 0;
        for (FlowCandidate f : candidates) {
            members += f.members();
            if (!taken.isEmpty() && members > batch) {
                break;
            }
            taken.add(f);
        }
        return taken;
    }

    /**
     * Frees any quota slot an attempt still holds before the attempt row goes (a slot deleted with
     * its holder would be lost to the policy for good), then deletes the executions.
     */
    private Uni<Integer> deleteExecutions(SqlClient c, List<ExecutionKey> executions) {
        if (executions.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return quotas.release(c, executions.stream().map(ExecutionKey::partitionKey).toList(),
                        executions.stream().map(ExecutionKey::executionId).toList())
                .flatMap(v -> store.deleteExecutions(c, executions));
    }

    /**
     * Old events up to the lower of the readers' safe horizon and (while the relay runs) the relay's
     * cursor, window by window until a window holds no old event.
     */
    private Uni<Integer> oldEvents(long olderThan) {
        Uni<Long> horizon = events.safeHorizon();
        Uni<Long> upTo = relayEnabled
                ? horizon.flatMap(h -> store.relayCursor(pool, EventRelay.RELAY).map(r -> Math.min(h, r)))
                : horizon;
        return upTo.flatMap(limit -> eventWindows(0, limit, olderThan));
    }

    private Uni<Integer> eventWindows(long after, long upTo, long olderThan) {
        if (after >= upTo) {
            return Uni.createFrom().item(0);
        }
        return tx.runWithCustomPlans(c -> store.deleteOldEvents(c, after, upTo, batch, olderThan)).flatMap(w -> {
            boolean more = w.scanned() == batch && w.deleted() > 0 && !signals.closed();
            return more ? eventWindows(w.lastEventId(), upTo, olderThan).map(n -> n + w.deleted())
                    : Uni.createFrom().item(w.deleted());
        });
    }

    /** Runs batches until one says there is no more (or the service shuts down); returns the total. */
    private Uni<Integer> repeat(Supplier<Uni<Batch>> batchOnce) {
        return batchOnce.get().flatMap(b -> b.more() && !signals.closed()
                ? repeat(batchOnce).map(n -> n + b.deleted())
                : Uni.createFrom().item(b.deleted()));
    }
}
