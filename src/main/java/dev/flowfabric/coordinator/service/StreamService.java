package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Fence;
import dev.flowfabric.coordinator.domain.FrameMode;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.store.ExecutionStore;
import dev.flowfabric.coordinator.store.StreamStore;
import dev.flowfabric.coordinator.store.StreamStore.AttemptStatus;
import dev.flowfabric.coordinator.store.StreamStore.Page;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Output streams of attempts (api.md §5): the lease holder appends frames in seq order; anyone
 * reads them by page or tails them live over SSE until the attempt ends.
 */
@ApplicationScoped
public class StreamService {

    private static final int TAIL_BATCH = 200;

    private final Transactions tx;
    private final Pool pool;
    private final StreamStore store;
    private final ExecutionStore executions;
    private final StreamSignals signals;
    private final Clock clock;
    private final int bestEffortKeep;
    private final int maxTails;
    private final long recheckMs;
    private final AtomicInteger tails = new AtomicInteger();

    StreamService(Transactions tx, Pool pool, StreamStore store, ExecutionStore executions, StreamSignals signals, Clock clock,
                  FlowfabricConfig config) {
        this.tx = tx;
        this.pool = pool;
        this.store = store;
        this.executions = executions;
        this.signals = signals;
        this.clock = clock;
        this.bestEffortKeep = config.stream().bestEffortKeep();
        this.maxTails = config.stream().maxTails();
        this.recheckMs = config.stream().tailRecheckMs();
    }

    /** An accepted frame: its seq, and the summary version a summary frame produced. */
    public record Appended(long seq, Long summaryVersion) { }

    public Uni<Appended> append(UUID id, int attempt, Fence.Token fence, String frameType, FrameMode mode,
                                String payloadJson) {
        long now = clock.millis();
        return tx.run(c -> store.append(c, id, attempt, fence.leaseId(), fence.leaseEpoch(), now,
                        frameType, mode.wire(), payloadJson, signals.replicaId())
                .chain(done -> {
                    if (done.isEmpty()) {
                        return refusal(c, id, attempt, fence, now);
                    }
                    StreamStore.Appended a = done.get();
                    // Trim in bursts (an eighth over the cap) so steady best-effort traffic rarely pays for it.
                    boolean trim = mode == FrameMode.BEST_EFFORT && a.bestEffortCount() > bestEffortKeep + bestEffortKeep / 8;
                    Uni<Void> trimmed = trim ? store.trimBestEffort(c, a.partitionKey(), id, attempt, bestEffortKeep)
                            : Uni.createFrom().voidItem();
                    return trimmed.replaceWith(new Appended(a.seq(), a.summaryVersion()));
                }))
                .invoke(() -> signals.wake(id));
    }

    /**
     * Why an append was refused: 404 for an unknown execution or attempt; 409 execution_not_active
     * when the execution or the attempt ended, unless the caller's own lease was revoked or expired
     * (those say so); else stale_lease.
     */
    private <T> Uni<T> refusal(SqlClient c, UUID id, int attempt, Fence.Token fence, long now) {
        // The frame read past any seq returns just the attempt's status.
        return store.frames(c, id, attempt, Long.MAX_VALUE, 1).chain(page -> {
            if (page.isEmpty()) {
                throw Problem.notFound("execution", id);
            }
            AttemptStatus s = page.get().status();
            if (!s.attemptExists() && s.currentAttempt() != attempt) {
                throw Problem.notFound("attempt", attempt);
            }
            return executions.fenceFacts(c, List.of(id), List.of(fence.leaseId())).map(facts -> {
                ExecutionStore.FenceFacts f = facts.get(0);
                Problem p = Fence.refusal(f.exec(), f.lease(), fence.leaseEpoch(), now);
                boolean ownLeaseLost = p.kind() == ProblemKind.LEASE_REVOKED || p.kind() == ProblemKind.LEASE_EXPIRED;
                if (p.kind() == ProblemKind.EXECUTION_NOT_ACTIVE || ownLeaseLost || !s.closed(attempt)) {
                    throw p;
                }
                Map<String, Object> extras = new LinkedHashMap<>();
                extras.put("public_state", s.publicState());
                extras.put("terminal_outcome", s.terminalOutcome());
                extras.put("closed_reason", s.closedReason());
                throw Problem.conflict(ProblemKind.EXECUTION_NOT_ACTIVE,
                        "attempt " + attempt + " ended (" + s.closedReason() + ")", extras);
            });
        });
    }

    /** One page of frames with the attempt's closed state. */
    public record FramePage(List<StreamStore.Frame> frames, boolean closed, String closedReason) { }

    public Uni<FramePage> frames(UUID id, int attempt, long after, int limit) {
        return store.frames(pool, id, attempt, after, limit).map(page -> toPage(id, attempt, page.orElse(null)));
    }

    private static FramePage toPage(UUID id, int attempt, Page page) {
        if (page == null) {
            throw Problem.notFound("execution", id);
        }
        AttemptStatus s = page.status();
        // The next attempt may be asked for before its claim: no frames yet, open unless the execution ended.
        if (!s.attemptExists() && s.currentAttempt() != attempt) {
            throw Problem.notFound("attempt", attempt);
        }
        boolean closed = s.closed(attempt);
        return new FramePage(page.frames(), closed, closed ? s.closedReason() : null);
    }

    public record Summary(String documentJson, long version, Long updatedAtMs) { }

    /** The summary document of an attempt (null: the execution's current one). */
    public Uni<Summary> summary(UUID id, Integer attempt) {
        return store.summary(pool, id, attempt).map(found -> {
            StreamStore.Summary s = found.orElseThrow(() -> Problem.notFound("execution", id));
            if (attempt != null && attempt > s.currentAttempt()) {
                throw Problem.notFound("attempt", attempt);
            }
            return s.exists() ? new Summary(s.documentJson(), s.version(), s.updatedAtMs())
                    : new Summary(null, 0, null);
        });
    }

    /** One event of a tail: a frame (name {@code frame}, id = seq) or the final {@code closed}. */
    public record TailEvent(String name, Long id, String data) { }

    /** An open tail: it holds one of this replica's tail slots until its events end. */
    public final class Tail {
        private final UUID executionId;
        private final int attempt;
        private final StreamSignals.Topic topic;
        private long after;
        private FramePage first;
        /** Set when the last read caught up: wait for a wake-up past this generation before reading. */
        private Long caughtUpAt;
        private boolean done;
        private boolean released;

        private Tail(UUID executionId, int attempt, long after, StreamSignals.Topic topic) {
            this.executionId = executionId;
            this.attempt = attempt;
            this.after = after;
            this.topic = topic;
        }

        private synchronized void release() {
            if (!released) {
                released = true;
                signals.leave(topic);
                tails.decrementAndGet();
            }
        }
    }

    /**
     * Opens a tail after seq {@code after}: 503 while the replica drains, 429 resource_exhausted
     * beyond the cap, 404 for an unknown execution or attempt (all before any event is sent).
     */
    public Uni<Tail> openTail(UUID id, int attempt, long after) {
        if (signals.closed()) {
            throw Problem.refused(ProblemKind.UNAVAILABLE, "this replica is shutting down; retry on another", Map.of());
        }
        if (tails.incrementAndGet() > maxTails) {
            tails.decrementAndGet();
            throw Problem.refused(ProblemKind.RESOURCE_EXHAUSTED,
                    "this replica serves " + maxTails + " stream tails at most; retry later", Map.of());
        }
        Tail tail = new Tail(id, attempt, after, signals.join(id));
        long seen = tail.topic.generation();
        return store.frames(pool, id, attempt, after, TAIL_BATCH)
                .map(page -> {
                    tail.first = toPage(id, attempt, page.orElse(null));
                    tail.caughtUpAt = seen;
                    return tail;
                })
                .onFailure().invoke(tail::release);
    }

    /** The tail's events: every frame in seq order as it is appended, then {@code closed}. */
    public Multi<TailEvent> events(Tail tail) {
        return Multi.createBy().repeating().uni(() -> tail, this::next)
                .until(Batch::end)
                .onItem().transformToIterable(Batch::events)
                .onTermination().invoke(tail::release);
    }

    /** Events to send now (maybe none, after an idle wait); {@code end} stops the tail. */
    private record Batch(List<TailEvent> events, boolean end) {
        static final Batch END = new Batch(List.of(), true);
        static final Batch IDLE = new Batch(List.of(), false);
    }

    /**
     * The next batch: frames after the last one sent, else {@code closed} once the attempt ended,
     * else nothing after waiting for a wake-up (or the re-check timer).
     */
    private Uni<Batch> next(Tail t) {
        if (t.done || signals.closed()) {
            return Uni.createFrom().item(Batch.END);
        }
        if (t.first != null) {
            FramePage first = t.first;
            t.first = null;
            return Uni.createFrom().item(batch(t, first, t.caughtUpAt));
        }
        Uni<Void> ready = t.caughtUpAt == null ? Uni.createFrom().voidItem() : t.topic.await(t.caughtUpAt, recheckMs);
        return ready.chain(() -> {
            long seen = t.topic.generation();
            return store.frames(pool, t.executionId, t.attempt, t.after, TAIL_BATCH)
                    .map(page -> batch(t, toPage(t.executionId, t.attempt, page.orElse(null)), seen));
        });
    }

    private static Batch batch(Tail t, FramePage page, long seen) {
        t.caughtUpAt = null;
        if (!page.frames().isEmpty()) {
            List<TailEvent> events = new ArrayList<>(page.frames().size());
            for (StreamStore.Frame f : page.frames()) {
                events.add(new TailEvent("frame", f.seq(), f.json()));
                t.after = f.seq();
            }
            if (page.frames().size() < TAIL_BATCH && !page.closed()) {
                t.caughtUpAt = seen;
            }
            return new Batch(events, false);
        }
        if (page.closed()) {
            t.done = true;
            return new Batch(List.of(new TailEvent("closed", null,
                    "{\"closed\":true,\"closed_reason\":\"" + page.closedReason() + "\"}")), false);
        }
        t.caughtUpAt = seen;
        return Batch.IDLE;
    }
}
