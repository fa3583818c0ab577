package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Claimed;
import dev.flowfabric.coordinator.domain.Execution;
import dev.flowfabric.coordinator.domain.Fence;
import dev.flowfabric.coordinator.domain.NewExecution;
import dev.flowfabric.coordinator.domain.Transition;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static dev.flowfabric.coordinator.store.ExecutionSql.*;

/** The execution lifecycle in SQL. Every method runs on the connection (and transaction) it is given. */
@ApplicationScoped
public class ExecutionStore {

    /** An active execution locked for a fenced call. */
    public record Locked(short partitionKey, UUID executionId, int attemptIndex, int retryCount,
                         String retryPolicyJson, UUID flowId, String lane) { }

    /** What is known of one refused fenced call. */
    public record FenceFacts(UUID requestedId, Fence.ExecutionState exec, Fence.CallerLease lease,
                             Integer leaseAttemptIndex, Long nextAttemptAtMs) {
        public boolean exists() {
            return exec != null;
        }
    }

    public record Renewal(long leaseEpoch, long leaseExpiresAtMs) { }

    /** A scheduled retry: claimable now, or after its backoff. */
    public record Retried(Transition transition, boolean claimableNow) { }

    /** How a terminal transition is recorded. */
    public record Termination(String terminalOutcome, String attemptOutcome, List<String> fromPhases,
                              String reason, String eventType, String errorJson) { }

    /** One item of a fenced completion. */
    public record Completion(UUID executionId, UUID leaseId, long leaseEpoch, String resultJson) { }

    public record ClaimQuery(String lane, String namespace, List<String> capabilities, int max,
                             String workerId, String workerInstanceId, long leaseTtlMs) { }

    public Uni<List<Execution>> insertIfAbsent(SqlClient c, List<NewExecution> items, long now, String replicaId) {
        int n = items.size();
        Short[] pk = new Short[n];
        UUID[] id = new UUID[n];
        UUID[] flow = new UUID[n];
        String[] ns = new String[n];
        String[] lane = new String[n];
        String[] kind = new String[n];
        String[] input = new String[n];
        Integer[] priority = new Integer[n];
        String[] caps = new String[n];
        String[] tags = new String[n];
        String[] key = new String[n];
        Long[] delay = new Long[n];
        Long[] deadline = new Long[n];
        String[] retry = new String[n];
        Long[] timeout = new Long[n];
        String[] budgets = new String[n];
        UUID[] quota = new UUID[n];
        String[] eligibility = new String[n];
        for (int i = 0; i < n; i++) {
            NewExecution x = items.get(i);
            pk[i] = x.partitionKey();
            id[i] = x.executionId();
            flow[i] = x.flowId();
            ns[i] = x.namespace();
            lane[i] = x.lane();
            kind[i] = x.kind();
            input[i] = x.inputJson();
            priority[i] = x.priority();
            caps[i] = String.join(",", x.requiredCapabilities());
            tags[i] = x.tagsJson();
            key[i] = x.idempotencyKey();
            delay[i] = x.delayUntilMs();
            deadline[i] = x.deadlineAtMs();
            retry[i] = x.retryPolicyJson();
            timeout[i] = x.attemptTimeoutMs();
            budgets[i] = String.join(",", x.budgetIds().stream().map(UUID::toString).toList());
            quota[i] = x.quotaPolicyId();
            eligibility[i] = x.blockedByDependencies() ? "blocked_by_dependencies"
                    : x.delayed(now) ? "not_eligible_until_time" : "eligible_now";
        }
        return Sql.list(c, INSERT_EXECUTIONS_IF_ABSENT, ExecutionRows::execution, pk, id, flow, ns, lane, kind, input,
                priority, caps, tags, key, delay, deadline, retry, timeout, budgets, quota, eligibility, now,
                replicaId);
    }

    /** Existing executions matching any of the ids, or any of the (namespace, idempotency key) pairs. */
    public Uni<List<Execution>> findByIdsOrKeys(SqlClient c, List<UUID> ids, List<String> namespaces,
                                                List<String> keys) {
        return Sql.list(c, SELECT_EXECUTIONS_BY_ID_OR_KEY, ExecutionRows::execution, ids.toArray(UUID[]::new),
                namespaces.toArray(String[]::new), keys.toArray(String[]::new));
    }

    public Uni<Optional<Execution>> find(SqlClient c, UUID id) {
        return Sql.one(c, SELECT_EXECUTION_BY_ID, ExecutionRows::execution, id);
    }

    /** Executions one claim statement admitted against one quota stripe. */
    public record Admission(UUID quotaPolicyId, short stripe, long count) { }

    /**
     * What one claim statement did: the executions it leased, the quota admissions it made (to be
     * recorded in the same transaction), and how many candidates it passed over because their
     * quota policy had no room left (they stay claimable).
     */
    public record ClaimBatch(List<Claimed> claims, List<Admission> admissions, int refusedByQuota) { }

    /**
     * Every connection keeps one generic plan of the claim, made without knowing the lane. Postgres
     * may then choose to fetch the lane's runnable rows by bitmap and sort them, cheap for the few rows
     * an average lane holds and ruinous for a lane with thousands waiting (measured 5-100 ms a claim
     * against under 1 ms): a claim's transaction plans with an index walk that stops at the limit.
     */
    public Uni<Void> preferOrderedClaimScan(SqlClient c) {
        return c.query(SET_PLANNER_IF_CLAIMING).execute().replaceWithVoid();
    }

    public Uni<ClaimBatch> claim(SqlClient c, ClaimQuery q, int max, long now) {
        return Sql.run(c, CLAIM_EXECUTIONS_IF_RUNNABLE, q.lane(), q.namespace(),
                q.capabilities().toArray(String[]::new), max, now, q.workerId(), q.workerInstanceId(),
                q.leaseTtlMs()).map(rows -> {
            List<Claimed> claims = new ArrayList<>(rows.size());
            Map<List<Object>, Long> admitted = new LinkedHashMap<>();
            int refused = 0;
            for (Row row : rows) {
                refused = row.getLong("refused").intValue();
                if (row.getUUID("execution_id") != null) {
                    claims.add(ExecutionRows.claimed(row, q.leaseTtlMs()));
                    if (row.getUUID("held_quota") != null) {
                        admitted.merge(List.of(row.getUUID("held_quota"), row.getShort("held_stripe")), 1L, Long::sum);
                    }
                }
            }
            List<Admission> admissions = new ArrayList<>(admitted.size());
            admitted.forEach((k, n) -> admissions.add(new Admission((UUID) k.get(0), (Short) k.get(1), n)));
            return new ClaimBatch(claims, admissions, refused);
        });
    }

    /** Records a claim's quota admissions on the stripes it still holds. */
    public Uni<Void> recordAdmissions(SqlClient c, List<Admission> admissions, long now) {
        if (admissions.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Sql.run(c, RECORD_QUOTA_ADMISSIONS,
                admissions.stream().map(Admission::quotaPolicyId).toArray(UUID[]::new),
                admissions.stream().map(Admission::stripe).toArray(Short[]::new),
                admissions.stream().map(Admission::count).toArray(Long[]::new), now).replaceWithVoid();
    }

    public Uni<Optional<Locked>> lockFenced(SqlClient c, UUID id, Fence.Token fence, long now) {
        return Sql.one(c, LOCK_EXECUTION_IF_FENCED, r -> new Locked(r.getShort("partition_key"),
                r.getUUID("execution_id"), r.getInteger("attempt_index"), r.getInteger("retry_count"),
                r.getString("retry_policy"), r.getUUID("flow_id"), r.getString("lane_id")),
                id, fence.leaseId(), fence.leaseEpoch(), now);
    }

    public Uni<List<FenceFacts>> fenceFacts(SqlClient c, List<UUID> ids, List<UUID> leaseIds) {
        return Sql.list(c, SELECT_FENCE_FACTS, ExecutionStore::fenceFacts,
                ids.toArray(UUID[]::new), leaseIds.toArray(UUID[]::new));
    }

    private static FenceFacts fenceFacts(Row r) {
        Fence.ExecutionState exec = r.getUUID("execution_id") == null ? null
                : new Fence.ExecutionState(r.getString("lifecycle_phase"), r.getString("public_state"),
                        r.getString("terminal_outcome"));
        Fence.CallerLease lease = r.getLong("lease_epoch") == null ? null
                : new Fence.CallerLease(r.getLong("lease_epoch"), r.getString("lease_outcome"),
                        r.getLong("lease_expires_at_ms"));
        return new FenceFacts(r.getUUID("requested_id"), exec, lease, r.getInteger("lease_attempt_index"),
                r.getLong("lease_next_attempt_at_ms"));
    }

    /** Completes the items whose fence matches; returns them keyed by id. */
    public Uni<Map<UUID, Execution>> completeFenced(SqlClient c, List<Completion> items, long now) {
        int n = items.size();
        UUID[] ids = new UUID[n];
        UUID[] leases = new UUID[n];
        Long[] epochs = new Long[n];
        String[] results = new String[n];
        for (int i = 0; i < n; i++) {
            Completion x = items.get(i);
            ids[i] = x.executionId();
            leases[i] = x.leaseId();
            epochs[i] = x.leaseEpoch();
            results[i] = x.resultJson();
        }
        return Sql.list(c, COMPLETE_EXECUTIONS_IF_FENCED, ExecutionRows::execution, ids, leases, epochs, results, now)
                .map(done -> {
                    Map<UUID, Execution> byId = new LinkedHashMap<>();
                    done.forEach(e -> byId.put(e.executionId(), e));
                    return byId;
                });
    }

    public Uni<Optional<Retried>> scheduleRetry(SqlClient c, Locked l, long now, long notBefore, String errorJson,
                                                String cause) {
        return Sql.one(c, RETRY_EXECUTION_IF_ACTIVE, r -> new Retried(transition(r, false, true),
                "eligible_now".equals(r.getString("eligibility_state"))),
                l.partitionKey(), l.executionId(), now, errorJson, notBefore, l.attemptIndex(), cause);
    }

    /** An execution a terminal transition ended, and whether a worker's lease ended with it. */
    public record Ended(Execution execution, boolean leaseEnded) {
        public Transition transition() {
            return Transition.of(execution, false, leaseEnded);
        }
    }

    public Uni<Optional<Ended>> terminate(SqlClient c, UUID id, Termination t, long now) {
        return Sql.one(c, TERMINATE_EXECUTION_IF_IN_PHASE,
                r -> new Ended(ExecutionRows.execution(r), r.getBoolean("lease_ended")), id, now, t.terminalOutcome(),
                t.fromPhases().toArray(String[]::new), t.attemptOutcome(), t.reason(), t.eventType(), t.errorJson());
    }

    public Uni<Optional<Renewal>> renew(SqlClient c, UUID id, Fence.Token fence, long ttlMs, long now) {
        return Sql.one(c, RENEW_LEASE_IF_FENCED,
                r -> new Renewal(r.getLong("lease_epoch"), r.getLong("lease_expires_at_ms")),
                id, fence.leaseId(), fence.leaseEpoch(), now, ttlMs);
    }

    public Uni<Boolean> recordProgress(SqlClient c, UUID id, Fence.Token fence, Integer percent, String message,
                                       long now) {
        return Sql.run(c, RECORD_PROGRESS_IF_FENCED, id, fence.leaseId(), fence.leaseEpoch(), now,
                        percent == null ? null : percent.shortValue(), message)
                .map(rows -> rows.rowCount() > 0);
    }

    public Uni<Optional<Execution>> delay(SqlClient c, Locked l, long until, long now) {
        return Sql.one(c, DELAY_EXECUTION_IF_ACTIVE, ExecutionRows::execution, l.partitionKey(), l.executionId(),
                now, until, l.attemptIndex());
    }

    public Uni<Optional<Execution>> setPriority(SqlClient c, UUID id, int priority, long now) {
        return Sql.one(c, SET_PRIORITY_IF_WAITING, ExecutionRows::execution, id, priority, now);
    }

    public Uni<Optional<Execution>> replay(SqlClient c, UUID id, String reason, long now) {
        return Sql.one(c, REPLAY_EXECUTION_IF_TERMINAL, ExecutionRows::execution, id, now, reason);
    }

    public Uni<Optional<Execution>> revokeLease(SqlClient c, UUID id, String reason, long now) {
        return Sql.one(c, REVOKE_LEASE_IF_ACTIVE, ExecutionRows::execution, id, now, reason);
    }

    /** Tells every replica's waiting claimers that work arrived (delivered on commit). */
    public Uni<Void> notifyWork(SqlClient c, String payload) {
        return Sql.run(c, NOTIFY_WORK, payload).replaceWithVoid();
    }

    // ---- sweeps -------------------------------------------------------------------------------

    /** Active executions whose lease lapsed, now claimable again. */
    public Uni<List<Transition>> expireLeases(SqlClient c, long now, int batch) {
        return Sql.list(c, EXPIRE_LEASES_IF_LAPSED, r -> transition(r, false, true), now, batch);
    }

    /** Delayed executions whose time came, now claimable. */
    public Uni<List<Transition>> promoteDelayed(SqlClient c, long now, int batch) {
        return Sql.list(c, PROMOTE_DELAYED_IF_DUE, r -> transition(r, false, false), now, batch);
    }

    public Uni<List<Locked>> lockTimedOut(SqlClient c, long now, int batch) {
        return Sql.list(c, LOCK_TIMED_OUT_ATTEMPTS, r -> new Locked(r.getShort("partition_key"),
                r.getUUID("execution_id"), r.getInteger("attempt_index"), r.getInteger("retry_count"),
                r.getString("retry_policy"), r.getUUID("flow_id"), r.getString("lane_id")), now, batch);
    }

    public Uni<List<UUID>> lockPastDeadline(SqlClient c, long now, int batch) {
        return Sql.list(c, LOCK_PAST_DEADLINE, r -> r.getUUID("execution_id"), now, batch);
    }

    private static Transition transition(Row r, boolean leaseStarted, boolean leaseEnded) {
        return new Transition(r.getUUID("execution_id"), r.getShort("partition_key"), r.getUUID("flow_id"),
                r.getString("lane_id"), r.getUUID("quota_policy_id"), r.getString("public_state"), null,
                leaseStarted, leaseEnded);
    }
}
