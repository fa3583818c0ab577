package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Execution;
import dev.flowfabric.coordinator.domain.Fence;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.RetryPolicy;
import dev.flowfabric.coordinator.domain.States.FailureCategory;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.store.ExecutionStore;
import dev.flowfabric.coordinator.store.ExecutionStore.Completion;
import dev.flowfabric.coordinator.store.ExecutionStore.FenceFacts;
import dev.flowfabric.coordinator.store.ExecutionStore.Locked;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fenced worker calls on a leased execution (api.md §2.3, §2.4). Each is a guarded statement
 * that matches only the live lease the caller presents; when it matches nothing, the facts the
 * database holds decide between an idempotent replay, a 404 and the four fence 409s.
 */
@ApplicationScoped
public class LeaseService {

    private static final List<String> ACTIVE = List.of("active");

    private final Transactions tx;
    private final Pool pool;
    private final ExecutionStore store;
    private final WorkSignals signals;
    private final RetryPolicies policies;
    private final TransitionHooks hooks;
    private final Clock clock;
    private final FlowMetrics metrics;

    LeaseService(Pool pool, ExecutionStore store, WorkSignals signals, RetryPolicies policies, TransitionHooks hooks,
                 Clock clock, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.hooks = hooks;
        this.pool = pool;
        this.store = store;
        this.signals = signals;
        this.policies = policies;
        this.clock = clock;
    }

    /**
     * The answer to {@code fail}: a retry at {@code nextAttemptAtMs} as attempt {@code attemptIndex},
     * or final; {@code transitions} says what changed, for wake-ups once the transaction commits.
     */
    public record FailOutcome(boolean retryScheduled, Long nextAttemptAtMs, Integer attemptIndex,
                              List<Transition> transitions) {
        static FailOutcome failed(List<Transition> transitions) {
            return new FailOutcome(false, null, null, transitions);
        }
    }

    /** One judged item of a batch completion. */
    public record ItemResult(UUID executionId, int status, String kind, String publicState) { }

    public Uni<ExecutionStore.Renewal> renew(UUID id, Fence.Token fence, long ttlMs) {
        long now = clock.millis();
        return store.renew(pool, id, fence, ttlMs, now).flatMap(done -> done.isPresent()
                        ? Uni.createFrom().item(done.get())
                        : this.<ExecutionStore.Renewal>refuse(pool, id, fence, now))
                .invoke(renewed -> metrics.renewal(true))
                .onFailure().invoke(refused -> metrics.renewal(false));
    }

    public Uni<Void> progress(UUID id, Fence.Token fence, Integer percent, String message) {
        long now = clock.millis();
        return store.recordProgress(pool, id, fence, percent, message, now).flatMap(done -> done
                ? Uni.createFrom().voidItem()
                : refuse(pool, id, fence, now));
    }

    public Uni<Execution> complete(UUID id, Fence.Token fence, String resultJson) {
        long now = clock.millis();
        return tx.run(c -> store.completeFenced(c, List.of(new Completion(id, fence.leaseId(),
                        fence.leaseEpoch(), resultJson)), now)
                .call(done -> hooks.after(c, ended(done.values()), now))
                .flatMap(done -> done.containsKey(id) ? Uni.createFrom().item(done.get(id))
                        : facts(c, id, fence).flatMap(f -> Fence.isReplay(f.lease(), fence.leaseEpoch(), "success")
                                ? store.find(c, id).map(e -> e.orElseThrow())
                                : Uni.createFrom().failure(refusal(f, fence, now)))));
    }

    /**
     * Completes many leased executions in one transaction; each item is fenced and judged alone. An
     * item naming an execution no other item names, and that the statement completed, is the one whose
     * fence held; every other item is judged by the facts as they stand after the statement.
     */
    public Uni<List<ItemResult>> completeAll(List<Completion> items) {
        long now = clock.millis();
        Map<UUID, Integer> mentions = new HashMap<>();
        items.forEach(item -> mentions.merge(item.executionId(), 1, Integer::sum));
        return tx.run(c -> store.completeFenced(c, items, now)
                .call(done -> hooks.after(c, ended(done.values()), now)).flatMap(done -> {
            List<Completion> toJudge = items.stream()
                    .filter(item -> !(done.containsKey(item.executionId()) && mentions.get(item.executionId()) == 1))
                    .toList();
            Uni<List<FenceFacts>> facts = toJudge.isEmpty() ? Uni.createFrom().item(List.of())
                    : store.fenceFacts(c, toJudge.stream().map(Completion::executionId).toList(),
                            toJudge.stream().map(Completion::leaseId).toList());
            return facts.map(f -> {
                List<ItemResult> out = new ArrayList<>(items.size());
                int next = 0;
                for (Completion item : items) {
                    Execution e = done.get(item.executionId());
                    if (e != null && mentions.get(item.executionId()) == 1) {
                        out.add(new ItemResult(item.executionId(), 200, null, e.publicState()));
                    } else {
                        out.add(judge(item, f.get(next++), now));
                    }
                }
                return out;
            });
        }));
    }

    private static ItemResult judge(Completion item, FenceFacts f, long now) {
        if (!f.exists()) {
            return new ItemResult(item.executionId(), 404, "not_found", null);
        }
        if (Fence.isReplay(f.lease(), item.leaseEpoch(), "success")) {
            return new ItemResult(item.executionId(), 200, null, f.exec().publicState());
        }
        Problem p = Fence.refusal(f.exec(), f.lease(), item.leaseEpoch(), now);
        return new ItemResult(item.executionId(), 409, p.kind().wire(), f.exec().publicState());
    }

    public Uni<FailOutcome> fail(UUID id, Fence.Token fence, String errorJson, FailureCategory category,
                                 boolean retryable) {
        long now = clock.millis();
        return tx.run(c -> store.lockFenced(c, id, fence, now).flatMap(locked -> locked.isPresent()
                ? failLocked(c, locked.get(), errorJson, category, retryable, "failure", now)
                : facts(c, id, fence).map(f -> {
                    if (Fence.isReplay(f.lease(), fence.leaseEpoch(), "retry")) {
                        return new FailOutcome(true, f.nextAttemptAtMs(), f.leaseAttemptIndex() + 1, List.of());
                    }
                    if (Fence.isReplay(f.lease(), fence.leaseEpoch(), "failed")) {
                        return FailOutcome.failed(List.of());
                    }
                    throw refusal(f, fence, now);
                }))).invoke(o -> signals.wakeCommitted(o.transitions()));
    }

    /**
     * Applies a failure to a locked active execution: a retry per its policy, or the end. Also
     * used by the attempt-timeout sweep, whose final outcome is {@code expired}.
     */
    public Uni<FailOutcome> failLocked(SqlConnection c, Locked locked, String errorJson, FailureCategory category,
                                       boolean retryable, String cause, long now) {
        RetryPolicy policy = policies.parse(locked.retryPolicyJson());
        RetryPolicy.Decision decision = policy.onFailure(category, retryable, locked.retryCount(),
                locked.attemptIndex(), now, ThreadLocalRandom.current());
        if (decision instanceof RetryPolicy.Retry retry) {
            return store.scheduleRetry(c, locked, now, retry.notBeforeMs(), errorJson, cause)
                    .flatMap(done -> {
                        List<Transition> t = done.map(r -> List.of(r.transition())).orElse(List.of());
                        if (done.isPresent()) {
                            metrics.retried(c, locked.lane());
                        }
                        return hooks.after(c, t, now).call(() -> signals.announce(c, t))
                                .replaceWith(new FailOutcome(true, retry.notBeforeMs(), retry.nextAttemptIndex(), t));
                    });
        }
        boolean timedOut = "timeout".equals(cause);
        var termination = new ExecutionStore.Termination(timedOut ? "expired" : "failed",
                timedOut ? "expired" : "failed", ACTIVE, null, timedOut ? "execution.expired" : "execution.failed",
                errorJson);
        return store.terminate(c, locked.executionId(), termination, now).flatMap(done -> {
            List<Transition> t = done.map(d -> List.of(d.transition())).orElse(List.of());
            return hooks.after(c, t, now).replaceWith(FailOutcome.failed(t));
        });
    }

    public Uni<Execution> delay(UUID id, Fence.Token fence, long untilMs) {
        long now = clock.millis();
        return tx.run(c -> store.lockFenced(c, id, fence, now).flatMap(locked -> {
            if (locked.isEmpty()) {
                return refuse(c, id, fence, now);
            }
            return store.delay(c, locked.get(), untilMs, now).flatMap(e -> {
                Execution delayed = e.orElseThrow();
                List<Transition> t = List.of(Transition.of(delayed, false, true));
                return hooks.after(c, t, now).call(() -> signals.announce(c, t)).replaceWith(delayed);
            });
        })).invoke(e -> signals.wakeCommitted(List.of(Transition.of(e, false, true))));
    }

    /**
     * The lease holder cancels its own execution. Unlike complete and fail this has no replay: the
     * stored facts cannot tell the holder's cancel from an operator's, and after an operator cancel
     * the holder must get {@code execution_not_active} (api.md §1.4), which a repeat gets too.
     */
    public Uni<Execution> cancel(UUID id, Fence.Token fence, String reason) {
        long now = clock.millis();
        var termination = new ExecutionStore.Termination("cancelled", "cancelled", ACTIVE, reason,
                "execution.cancelled", null);
        return tx.run(c -> store.lockFenced(c, id, fence, now).flatMap(locked -> locked.isPresent()
                ? store.terminate(c, id, termination, now).map(Optional::orElseThrow)
                        .call(ended -> hooks.after(c, List.of(ended.transition()), now))
                        .map(ExecutionStore.Ended::execution)
                : refuse(c, id, fence, now)));
    }

    private static List<Transition> ended(java.util.Collection<Execution> executions) {
        return executions.stream().map(e -> Transition.of(e, false, true)).toList();
    }

    private Uni<FenceFacts> facts(io.vertx.mutiny.sqlclient.SqlClient c, UUID id, Fence.Token fence) {
        return store.fenceFacts(c, List.of(id), List.of(fence.leaseId())).map(f -> {
            FenceFacts one = f.get(0);
            if (!one.exists()) {
                throw Problem.notFound("execution", id);
            }
            return one;
        });
    }

    private <T> Uni<T> refuse(io.vertx.mutiny.sqlclient.SqlClient c, UUID id, Fence.Token fence, long now) {
        return facts(c, id, fence).flatMap(f -> Uni.createFrom().failure(refusal(f, fence, now)));
    }

    private static Problem refusal(FenceFacts f, Fence.Token fence, long now) {
        return Fence.refusal(f.exec(), f.lease(), fence.leaseEpoch(), now);
    }
}
