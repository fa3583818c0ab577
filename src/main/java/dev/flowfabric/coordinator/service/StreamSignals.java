package dev.flowfabric.coordinator.service;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wakes SSE tails of an execution's streams. A frame appended on this replica wakes local tails
 * right after its commit; other replicas hear of it by LISTEN/NOTIFY on {@code ff_stream}
 * ({@code f|<replica>|<execution>} for a frame, {@code c|<execution>} when a lease ended). Wake-ups
 * are hints: a tail also re-reads on a timer, so a lost notification costs latency, never frames.
 */
@ApplicationScoped
public class StreamSignals {

    private static final Logger LOG = Logger.getLogger(StreamSignals.class);
    static final String CHANNEL = "ff_stream";

    private final Map<UUID, Topic> topics = new ConcurrentHashMap<>();
    private final Vertx vertx;
    private final WorkSignals work;
    private final PgListener listener;

    StreamSignals(Vertx vertx, WorkSignals work, PgListener listener) {
        this.vertx = vertx;
        this.work = work;
        this.listener = listener;
    }

    void start(@Observes StartupEvent event) {
        listener.listen(CHANNEL, this::onNotification);
    }

    /**
     * Draining (after the work signals closed, hence the priority): tails end now, so they do not
     * hold the shutdown; their clients reconnect elsewhere with Last-Event-ID.
     */
    void drain(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) ShutdownDelayInitiatedEvent event) {
        topics.values().forEach(Topic::wake);
    }

    void stop(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) ShutdownEvent event) {
        topics.values().forEach(Topic::wake);
    }

    /** True once the service drains or stops: tails end. */
    public boolean closed() {
        return work.closed();
    }

    /** This replica's id in frame notifications (it wakes its own tails directly). */
    public String replicaId() {
        return work.replicaId();
    }

    /** A tail's interest in one execution; {@link #leave(Topic)} when the tail ends. */
    public Topic join(UUID executionId) {
        return topics.compute(executionId, (k, t) -> {
            Topic topic = t == null ? new Topic(executionId) : t;
            topic.members++;
            return topic;
        });
    }

    public void leave(Topic topic) {
        topics.computeIfPresent(topic.executionId, (k, t) -> --t.members == 0 ? null : t);
    }

    /** Wakes the local tails of an execution; call after the change committed. */
    public void wake(UUID executionId) {
        Topic t = topics.get(executionId);
        if (t != null) {
            t.wake();
        }
    }

    private void onNotification(String payload) {
        String[] parts = payload.split("\\|");
        try {
            if (parts.length == 3 && parts[0].equals("f") && !parts[1].equals(replicaId())) {
                wake(UUID.fromString(parts[2]));
            } else if (parts.length == 2 && parts[0].equals("c")) {
                wake(UUID.fromString(parts[1]));
            }
        } catch (IllegalArgumentException e) {
            LOG.debugf("ignoring malformed %s payload", CHANNEL);
        }
    }

    /** Wake-ups of one execution's tails, with a generation so none is lost between read and wait. */
    public final class Topic {
        private final UUID executionId;
        private int members;
        private long generation;
        private final List<Runnable> waiters = new ArrayList<>();

        private Topic(UUID executionId) {
            this.executionId = executionId;
        }

        public synchronized long generation() {
            return generation;
        }

        /** Completes once the generation moved past {@code seen}, after {@code maxWaitMs}, or at shutdown. */
        public Uni<Void> await(long seen, long maxWaitMs) {
            return Uni.createFrom().emitter(emitter -> {
                Context context = vertx.getOrCreateContext();
                boolean[] fired = {false};
                long[] timer = {-1};
                Runnable fire = () -> {
                    synchronized (fired) {
                        if (fired[0]) {
                            return;
                        }
                        fired[0] = true;
                    }
                    if (timer[0] >= 0) {
                        vertx.cancelTimer(timer[0]);
                    }
                    context.runOnContext(v -> emitter.complete(null));
                };
                synchronized (this) {
                    if (generation != seen || closed()) {
                        fire.run();
                        return;
                    }
                    waiters.add(fire);
                }
                timer[0] = vertx.setTimer(Math.max(1, maxWaitMs), id -> {
                    synchronized (this) {
                        waiters.remove(fire);
                    }
                    fire.run();
                });
                emitter.onTermination(() -> {
                    synchronized (this) {
                        waiters.remove(fire);
                    }
                    if (timer[0] >= 0) {
                        vertx.cancelTimer(timer[0]);
                    }
                });
            });
        }

        void wake() {
            List<Runnable> woken;
            synchronized (this) {
                generation++;
                woken = new ArrayList<>(waiters);
                waiters.clear();
            }
            woken.forEach(Runnable::run);
        }
    }
}
