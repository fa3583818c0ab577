package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Multi;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wakes long-poll claimers when work becomes claimable. Work made on this replica wakes local
 * waiters directly after commit; work made elsewhere arrives by LISTEN/NOTIFY on {@code ff_work}
 * (payload {@code replica|count|lane}). Both are hints: a waiter also re-checks on a timer, so a
 * lost notification costs latency, never work.
 *
 * <p>It also holds the replica's draining flag. Graceful shutdown closes it first, before the HTTP
 * layer waits for in-flight requests: readiness reports DOWN, waiting long-polls return 204 at
 * once, and sweeps start no new batch. Only then do in-flight requests get their grace period,
 * so a 30 s long-poll never holds up a shutdown.
 */
@ApplicationScoped
public class WorkSignals {

    private static final Logger LOG = Logger.getLogger(WorkSignals.class);
    static final String CHANNEL = "ff_work";

    private final String replicaId = UUID.randomUUID().toString();
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final Vertx vertx;
    private final ExecutionStore store;
    private final PgListener listener;
    private volatile boolean closed;

    WorkSignals(Vertx vertx, ExecutionStore store, PgListener listener) {
        this.vertx = vertx;
        this.store = store;
        this.listener = listener;
    }

    void start(@Observes StartupEvent event) {
        listener.listen(CHANNEL, this::onNotification);
    }

    /** The first step of a graceful shutdown (SIGTERM), before in-flight requests are awaited. */
    void drain(@Observes ShutdownDelayInitiatedEvent event) {
        LOG.info("draining: readiness is down, long-polls return, sweeps stop between batches");
        close();
    }

    void stop(@Observes ShutdownEvent event) {
        close();
    }

    /** True once the service is shutting down: long-polls stop waiting. */
    public boolean closed() {
        return closed;
    }

    /** Starts draining: wakes every waiting long-poll; from now on none waits. */
    public void close() {
        closed = true;
        lanes.values().forEach(Lane::wakeAll);
    }

    /** Undoes {@link #close()}: tests drain the one shared test instance and must hand it back working. */
    void reopen() {
        closed = false;
    }

    public String replicaId() {
        return replicaId;
    }

    /** The NOTIFY payload announcing {@code count} claimable executions on {@code lane}. */
    public String payload(String lane, int count) {
        return replicaId + "|" + count + "|" + lane;
    }

    /** Current wake generation of a lane; read it before looking for work. */
    public long generation(String lane) {
        return lane(lane).generation;
    }

    /** Wakes up to {@code count} local waiters of the lane; call after the work committed. */
    public void wake(String lane, int count) {
        if (count > 0) {
            lane(lane).wake(count);
        }
    }

    public void wake(Map<String, Integer> countsByLane) {
        countsByLane.forEach(this::wake);
    }

    /** Claimable executions among the transitions, counted by lane. */
    public static Map<String, Integer> claimable(List<Transition> transitions) {
        Map<String, Integer> counts = new HashMap<>();
        for (Transition t : transitions) {
            if ("waiting".equals(t.publicState())) {
                counts.merge(t.lane(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Tells the other replicas (NOTIFY, delivered on commit) which lanes got claimable work. */
    public Uni<Void> announce(SqlClient tx, List<Transition> transitions) {
        Map<String, Integer> lanes = claimable(transitions);
        if (lanes.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(lanes.entrySet())
                .onItem().transformToUniAndConcatenate(e -> store.notifyWork(tx, payload(e.getKey(), e.getValue())))
                .collect().last().replaceWithVoid();
    }

    /** Wakes local long-polls for the claimable executions among committed transitions. */
    public void wakeCommitted(List<Transition> transitions) {
        wake(claimable(transitions));
    }

    /**
     * Completes when the lane's generation moved past {@code seen} (at once if it already did),
     * after {@code maxWaitMs}, or at shutdown.
     */
    public Uni<Void> await(String lane, long seen, long maxWaitMs) {
        if (closed) {
            return Uni.createFrom().voidItem();
        }
        Lane l = lane(lane);
        return Uni.createFrom().emitter(emitter -> {
            Context context = vertx.getOrCreateContext();
            Waiter w = new Waiter(context, () -> emitter.complete(null));
            if (!l.enqueue(w, seen)) {
                emitter.complete(null);
                return;
            }
            long timer = vertx.setTimer(Math.max(1, maxWaitMs), id -> {
                l.remove(w);
                w.fire();
            });
            w.timer = timer;
        });
    }

    private void onNotification(String payload) {
        String[] parts = payload.split("\\|", 3);
        if (parts.length != 3 || parts[0].equals(replicaId)) {
            return;
        }
        try {
            wake(parts[2], Integer.parseInt(parts[1]));
        } catch (NumberFormatException e) {
            LOG.debugf("ignoring malformed %s payload", CHANNEL);
        }
    }

    private Lane lane(String lane) {
        return lanes.computeIfAbsent(lane, k -> new Lane());
    }

    private final class Waiter {
        final Context context;
        final Runnable complete;
        volatile long timer = -1;
        private boolean fired;

        Waiter(Context context, Runnable complete) {
            this.context = context;
            this.complete = complete;
        }

        void fire() {
            synchronized (this) {
                if (fired) {
                    return;
                }
                fired = true;
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            context.runOnContext(v -> complete.run());
        }
    }

    private static final class Lane {
        volatile long generation;
        private final Deque<Waiter> waiters = new ArrayDeque<>();

        synchronized boolean enqueue(Waiter w, long seen) {
            if (generation != seen) {
                return false;
            }
            waiters.addLast(w);
            return true;
        }

        synchronized void remove(Waiter w) {
            waiters.remove(w);
        }

        void wake(int count) {
            Waiter[] woken;
            synchronized (this) {
                generation++;
                int n = Math.min(count, waiters.size());
                woken = new Waiter[n];
                for (int i = 0; i < n; i++) {
                    woken[i] = waiters.pollFirst();
                }
            }
            for (Waiter w : woken) {
                w.fire();
            }
        }

        void wakeAll() {
            wake(Integer.MAX_VALUE);
        }
    }
}
