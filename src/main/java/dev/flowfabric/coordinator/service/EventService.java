package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Event;
import dev.flowfabric.coordinator.store.EventStore;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads of the event log (api.md §7). Ids are drawn before commit, so a later id can become
 * visible before an earlier one; readers only ever see events up to the safe horizon, below which
 * no id can still appear, so a cursor never skips an event. Streams wake on LISTEN/NOTIFY
 * ({@code ff_event}, sent by the relay when the horizon moves) and poll as a fallback.
 */
@ApplicationScoped
public class EventService {

    static final String CHANNEL = "ff_event";
    private static final int STREAM_BATCH = 500;

    private final Pool pool;
    private final EventStore store;
    private final WorkSignals signals;
    private final Vertx vertx;
    private final PgListener listener;
    private final long pollIntervalMs;
    private final long horizonWaitMs;
    /** The highest horizon known to be safe; a read that cannot settle falls back to it. */
    private final AtomicLong knownSafe = new AtomicLong();
    private final AtomicLong generation = new AtomicLong();

    EventService(Pool pool, EventStore store, WorkSignals signals, Vertx vertx, FlowfabricConfig config,
                 PgListener listener) {
        this.pool = pool;
        this.store = store;
        this.signals = signals;
        this.vertx = vertx;
        this.listener = listener;
        this.pollIntervalMs = config.events().pollIntervalMs();
        this.horizonWaitMs = config.events().horizonWaitMs();
    }

    /** A page of events and the cursor to continue from. */
    public record Page(List<Event> events, long nextCursor) { }

    void start(@Observes StartupEvent event) {
        listener.listen(CHANNEL, payload -> wake());
    }

    /** Events after {@code after}, oldest first; {@code nextCursor} is the last id returned, else {@code after}. */
    public Uni<Page> list(long after, EventStore.Filter filter, int limit) {
        return safeHorizon().flatMap(horizon -> store.list(pool, after, horizon, filter, limit))
                .map(events -> new Page(events, events.isEmpty() ? after : events.get(events.size() - 1).eventId()));
    }

    /**
     * The events after {@code after} (null: after the current horizon, i.e. from now on), as they
     * become safe to read, until the subscriber cancels or the service stops.
     */
    public Multi<Event> stream(Long after, EventStore.Filter filter) {
        Uni<Long> start = after != null ? Uni.createFrom().item(after) : safeHorizon();
        return start.onItem().transformToMulti(from -> {
            AtomicLong cursor = new AtomicLong(from);
            return Multi.createBy().repeating().uni(() -> nextBatch(cursor, filter))
                    .whilst(batch -> !signals.closed())
                    .onItem().transformToIterable(batch -> batch);
        });
    }

    private Uni<List<Event>> nextBatch(AtomicLong cursor, EventStore.Filter filter) {
        long seen = generation.get();
        return safeHorizon().flatMap(horizon -> store.list(pool, cursor.get(), horizon, filter, STREAM_BATCH)
                .flatMap(events -> {
                    if (!events.isEmpty()) {
                        cursor.set(events.get(events.size() - 1).eventId());
                        return Uni.createFrom().item(events);
                    }
                    // Nothing matched up to the horizon: the stream's own position may move past it.
                    cursor.accumulateAndGet(horizon, Math::max);
                    return awaitWake(seen).replaceWith(List.<Event>of());
                }));
    }

    /** Wakes the local streams: the log grew. */
    public void wake() {
        generation.incrementAndGet();
    }

    private Uni<Void> awaitWake(long seen) {
        return Multi.createFrom().ticks().every(Duration.ofMillis(20))
                .select().where(t -> generation.get() != seen || signals.closed())
                .toUni().replaceWithVoid()
                .ifNoItem().after(Duration.ofMillis(pollIntervalMs)).recoverWithItem(() -> null).replaceWithVoid();
    }

    /**
     * The highest id below which no event can still appear: the newest visible id, once every
     * transaction that was in flight when it was read has ended (usually at once).
     */
    public Uni<Long> safeHorizon() {
        long deadline = System.nanoTime() + Duration.ofMillis(horizonWaitMs).toNanos();
        return store.probe(pool).flatMap(probe -> probe.settled() ? Uni.createFrom().item(probe.maxEventId())
                        : awaitSettled(probe, deadline))
                .invoke(h -> knownSafe.accumulateAndGet(h, Math::max));
    }

    private Uni<Long> awaitSettled(EventStore.HorizonProbe probe, long deadline) {
        return store.settled(pool, probe).flatMap(settled -> {
            if (settled) {
                return Uni.createFrom().item(probe.maxEventId());
            }
            if (System.nanoTime() > deadline) {
                return Uni.createFrom().item(knownSafe.get());
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofMillis(5))
                    .flatMap(v -> awaitSettled(probe, deadline));
        });
    }
}
