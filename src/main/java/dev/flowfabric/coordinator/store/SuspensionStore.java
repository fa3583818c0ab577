package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Execution;
import dev.flowfabric.coordinator.domain.ResumeCondition.SignalFact;
import dev.flowfabric.coordinator.domain.Transition;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static dev.flowfabric.coordinator.store.SuspensionSql.*;

/** Suspensions, waitpoints and signals in SQL. Every method runs on the connection it is given. */
@ApplicationScoped
public class SuspensionStore {

    /** The first answer to a suspend with an idempotency key, and the lease that got it. */
    public record PriorSuspend(UUID leaseId, long leaseEpoch, String requestDigest, String responseJson) { }

    /** A waitpoint's id, key and the kid its token was signed with. */
    public record WaitpointRef(UUID waitpointId, String key, String tokenKid) { }

    /** An accepted signal as conditions and resume_signals see it. */
    public record SignalRow(SignalFact fact, String json) { }

    /** A suspension as recorded; {@code state} is active or closed. */
    public record NewSuspension(short partitionKey, UUID suspensionId, UUID executionId, int attemptIndex,
                                String state, String closeReason, String reason, String conditionJson,
                                Long timeoutAtMs, String onTimeout, UUID leaseId, long leaseEpoch,
                                String idempotencyKey, String requestDigest, String responseJson, long now,
                                List<UUID> attach, List<UUID> createIds, List<String> createKeys,
                                String createKid) { }

    /** The execution a signal is for, locked. */
    public record SignalTarget(short partitionKey, UUID flowId, String lifecyclePhase) { }

    /** A waitpoint as a signal finds it. */
    public record WaitpointRow(UUID waitpointId, String key, String state, UUID suspensionId, String tokenKid,
                               Long expiresAtMs) {
        /** Open, and not past its expiry (a pending one's own, an active one's suspension timeout). */
        public boolean openAt(long now) {
            return ("pending".equals(state) || "active".equals(state)) && (expiresAtMs == null || expiresAtMs > now);
        }
    }

    public record SuspensionRow(UUID suspensionId, UUID executionId, int attemptIndex, String state,
                                String conditionJson, String onTimeout) { }

    /** A suspension the timeout sweep locked. */
    public record TimedOut(short partitionKey, UUID suspensionId, UUID executionId, String onTimeout) { }

    public Uni<Optional<PriorSuspend>> priorSuspend(SqlClient c, UUID executionId, String idempotencyKey) {
        return Sql.one(c, SELECT_SUSPENSION_BY_IDEMPOTENCY_KEY, r -> new PriorSuspend(r.getUUID("lease_id"),
                r.getLong("lease_epoch"), r.getString("request_digest"), r.getString("response")),
                executionId, idempotencyKey);
    }

    public Uni<Void> expireDuePending(SqlClient c, UUID executionId, long now) {
        return Sql.run(c, EXPIRE_DUE_PENDING_WAITPOINTS_OF_EXECUTION, executionId, now).replaceWithVoid();
    }

    public Uni<List<WaitpointRef>> lockPending(SqlClient c, UUID executionId, List<String> keys) {
        return Sql.list(c, LOCK_PENDING_WAITPOINTS_BY_KEY, SuspensionStore::ref, executionId,
                keys.toArray(String[]::new));
    }

    public Uni<List<SignalRow>> signalsOfWaitpoints(SqlClient c, List<UUID> waitpointIds) {
        if (waitpointIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Sql.list(c, SELECT_SIGNALS_OF_WAITPOINTS, SuspensionStore::signal,
                (Object) waitpointIds.toArray(UUID[]::new));
    }

    public Uni<List<SignalRow>> signalsOfSuspension(SqlClient c, UUID suspensionId) {
        return Sql.list(c, SELECT_SIGNALS_OF_SUSPENSION, SuspensionStore::signal, suspensionId);
    }

    public Uni<Void> insertSuspension(SqlClient c, NewSuspension s) {
        return Sql.run(c, INSERT_SUSPENSION_WITH_WAITPOINTS, s.partitionKey(), s.suspensionId(), s.executionId(),
                s.attemptIndex(), s.state(), s.closeReason(), s.reason(), s.conditionJson(), s.timeoutAtMs(),
                s.onTimeout(), s.leaseId(), s.leaseEpoch(), s.idempotencyKey(), s.requestDigest(), s.responseJson(),
                s.now(), s.attach().toArray(UUID[]::new), s.createIds().toArray(UUID[]::new),
                s.createKeys().toArray(String[]::new), s.createKid()).replaceWithVoid();
    }

    /** Parks the locked execution; empty if it was not active. */
    public Uni<Optional<Execution>> suspendExecution(SqlClient c, ExecutionStore.Locked l, String blockingReason,
                                                     UUID suspensionId, Long timeoutAtMs, long now) {
        return Sql.one(c, ExecutionSql.SUSPEND_EXECUTION_IF_ACTIVE, ExecutionRows::execution, l.partitionKey(),
                l.executionId(), now, l.attemptIndex(), blockingReason, suspensionId, timeoutAtMs);
    }

    /** Makes a suspended execution claimable; empty if it was not suspended. */
    public Uni<Optional<Execution>> resumeExecution(SqlClient c, short partitionKey, UUID executionId,
                                                    UUID suspensionId, String cause, long now) {
        return Sql.one(c, ExecutionSql.RESUME_EXECUTION_IF_SUSPENDED, ExecutionRows::execution, partitionKey,
                executionId, now, suspensionId, cause);
    }

    /** The new pending waitpoint, or empty when an open one of that key exists. */
    public Uni<Optional<WaitpointRef>> insertPending(SqlClient c, short partitionKey, UUID waitpointId,
                                                     UUID executionId, String key, String kid, long now,
                                                     Long expiresAtMs) {
        return Sql.one(c, INSERT_PENDING_WAITPOINT_IF_ABSENT, SuspensionStore::ref, partitionKey, waitpointId,
                executionId, key, kid, now, expiresAtMs);
    }

    public Uni<Optional<WaitpointRef>> openByKey(SqlClient c, UUID executionId, String key) {
        return Sql.one(c, SELECT_OPEN_WAITPOINT_BY_KEY, SuspensionStore::ref, executionId, key);
    }

    public Uni<Optional<SignalTarget>> lockForSignal(SqlClient c, UUID executionId) {
        return Sql.one(c, LOCK_EXECUTION_FOR_SIGNAL, r -> new SignalTarget(r.getShort("partition_key"),
                r.getUUID("flow_id"), r.getString("lifecycle_phase")), executionId);
    }

    public Uni<Optional<WaitpointRow>> waitpointById(SqlClient c, UUID executionId, UUID waitpointId) {
        return Sql.one(c, SELECT_WAITPOINT_BY_ID, SuspensionStore::waitpoint, executionId, waitpointId);
    }

    public Uni<Optional<WaitpointRow>> waitpointByKey(SqlClient c, UUID executionId, String key) {
        return Sql.one(c, SELECT_WAITPOINT_BY_KEY, SuspensionStore::waitpoint, executionId, key);
    }

    public Uni<Optional<UUID>> signalByIdempotencyKey(SqlClient c, UUID executionId, String key) {
        return Sql.one(c, SELECT_SIGNAL_BY_IDEMPOTENCY_KEY, r -> r.getUUID("signal_id"), executionId, key);
    }

    public record NewSignal(short partitionKey, UUID signalId, UUID executionId, UUID flowId, UUID waitpointId,
                            String key, UUID suspensionId, String name, String source, String payloadJson,
                            String idempotencyKey, long now) { }

    public Uni<Void> insertSignal(SqlClient c, NewSignal s) {
        return Sql.run(c, INSERT_SIGNAL, s.partitionKey(), s.signalId(), s.executionId(), s.waitpointId(), s.key(),
                s.suspensionId(), s.name(), s.source(), s.payloadJson(), s.idempotencyKey(), s.now(), s.flowId())
                .replaceWithVoid();
    }

    public Uni<Optional<SuspensionRow>> suspension(SqlClient c, UUID suspensionId) {
        return Sql.one(c, SELECT_SUSPENSION, r -> new SuspensionRow(r.getUUID("suspension_id"),
                r.getUUID("execution_id"), r.getInteger("attempt_index"), r.getString("state"),
                r.getString("condition"), r.getString("on_timeout")), suspensionId);
    }

    /**
     * Closes an active suspension ({@code reason} satisfied or timeout) and its open waitpoints
     * ({@code waitpointState} closed or expired). False if it was not active.
     */
    public Uni<Boolean> close(SqlClient c, UUID suspensionId, String reason, String waitpointState,
                              boolean resumePending, long now) {
        return Sql.one(c, CLOSE_SUSPENSION_IF_ACTIVE, r -> r.getLong("closed") > 0, suspensionId, now, reason,
                waitpointState, resumePending).map(r -> r.orElse(false));
    }

    public Uni<Void> insertTimeoutSignal(SqlClient c, TimedOut t, long now) {
        return Sql.run(c, INSERT_TIMEOUT_SIGNAL, t.partitionKey(), UUID.randomUUID(), t.executionId(),
                t.suspensionId(), now).replaceWithVoid();
    }

    public Uni<List<TimedOut>> lockTimedOut(SqlClient c, long now, int batch) {
        return Sql.list(c, LOCK_TIMED_OUT_SUSPENSIONS, r -> new TimedOut(r.getShort("partition_key"),
                r.getUUID("suspension_id"), r.getUUID("execution_id"), r.getString("on_timeout")), now, batch);
    }

    /** Pending waitpoints past their expiry become expired; returns how many. */
    public Uni<Integer> expirePending(SqlClient c, long now, int batch) {
        return Sql.run(c, EXPIRE_PENDING_WAITPOINTS_IF_DUE, now, batch).map(rows -> rows.rowCount());
    }

    /** resume_signals of resume claims, by execution id (absent when the resume was not a suspension's). */
    public Uni<Map<UUID, String>> takeResumeSignals(SqlClient c, List<UUID> executionIds, List<Integer> attempts) {
        return Sql.list(c, TAKE_RESUME_SIGNALS, r -> Map.entry(r.getUUID("execution_id"), r.getString("signals")),
                executionIds.toArray(UUID[]::new), attempts.toArray(Integer[]::new)).map(rows -> {
                    Map<UUID, String> out = new HashMap<>();
                    rows.forEach(e -> out.put(e.getKey(), e.getValue()));
                    return out;
                });
    }

    /** Closes what ended executions leave open and wakes tails of attempts whose lease ended. */
    public Uni<Void> onTransitions(SqlClient c, List<Transition> ended, List<Transition> leaseEnded, long now) {
        return Sql.run(c, CLOSE_ON_EXECUTION_END, partitions(ended), ids(ended), partitions(leaseEnded),
                ids(leaseEnded), now).replaceWithVoid();
    }

    private static Short[] partitions(List<Transition> t) {
        return t.stream().map(Transition::partitionKey).toArray(Short[]::new);
    }

    private static UUID[] ids(List<Transition> t) {
        return t.stream().map(Transition::executionId).toArray(UUID[]::new);
    }

    private static WaitpointRef ref(Row r) {
        return new WaitpointRef(r.getUUID("waitpoint_id"), r.getString("key"), r.getString("token_kid"));
    }

    private static WaitpointRow waitpoint(Row r) {
        return new WaitpointRow(r.getUUID("waitpoint_id"), r.getString("key"), r.getString("state"),
                r.getUUID("suspension_id"), r.getString("token_kid"), r.getLong("expires_at_ms"));
    }

    private static SignalRow signal(Row r) {
        return new SignalRow(new SignalFact(r.getString("key"), r.getString("source")), r.getString("json"));
    }
}
