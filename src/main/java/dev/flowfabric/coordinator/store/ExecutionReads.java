package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Attempt;
import dev.flowfabric.coordinator.domain.Execution;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Reads of executions and attempts through the Panache read models. */
@ApplicationScoped
public class ExecutionReads {

    /** Filters of {@code GET /v1/executions}; null means any. */
    public record Filter(String namespace, String lane, String publicState, UUID flowId, String kind) { }

    /** Position after which the next page starts (newest first). */
    public record After(long createdAtMs, UUID executionId) { }

    public record Page(List<Execution> executions, After next) { }

    public Uni<Optional<Execution>> get(UUID id) {
        return Panache.withSession(() -> ExecCoreEntity.<ExecCoreEntity>find("executionId", id).firstResult()
                .flatMap(e -> e == null ? Uni.createFrom().item(Optional.<Execution>empty())
                        : leases(List.of(e)).map(l -> Optional.of(toExecution(e, l.get(e.executionId))))));
    }

    public Uni<Page> list(Filter f, After after, int limit) {
        StringBuilder q = new StringBuilder("1 = 1");
        Map<String, Object> p = new HashMap<>();
        if (f.namespace() != null) {
            q.append(" and namespace = :ns");
            p.put("ns", f.namespace());
        }
        if (f.lane() != null) {
            q.append(" and laneId = :lane");
            p.put("lane", f.lane());
        }
        if (f.publicState() != null) {
            q.append(" and publicState = :ps");
            p.put("ps", f.publicState());
        }
        if (f.flowId() != null) {
            q.append(" and flowId = :flow");
            p.put("flow", f.flowId());
        }
        if (f.kind() != null) {
            q.append(" and kind = :kind");
            p.put("kind", f.kind());
        }
        if (after != null) {
            q.append(" and (createdAtMs < :ac or (createdAtMs = :ac and executionId < :aid))");
            p.put("ac", after.createdAtMs());
            p.put("aid", after.executionId());
        }
        q.append(" order by createdAtMs desc, executionId desc");
        return Panache.withSession(() -> ExecCoreEntity.<ExecCoreEntity>find(q.toString(), p)
                .range(0, limit).list()
                .flatMap(rows -> leases(rows).map(l -> {
                    List<Execution> out = rows.stream().map(e -> toExecution(e, l.get(e.executionId))).toList();
                    ExecCoreEntity last = rows.size() < limit + 1 ? null : rows.get(limit);
                    List<Execution> page = out.size() > limit ? out.subList(0, limit) : out;
                    After next = last == null ? null
                            : new After(page.get(page.size() - 1).createdAtMs(), page.get(page.size() - 1).executionId());
                    return new Page(page, next);
                })));
    }

    /** Attempts oldest first, or empty when the execution does not exist. */
    public Uni<Optional<List<Attempt>>> attempts(UUID id) {
        return Panache.withSession(() -> ExecCoreEntity.<ExecCoreEntity>find("executionId", id).firstResult()
                .flatMap(e -> e == null ? Uni.createFrom().item(Optional.<List<Attempt>>empty())
                        : AttemptEntity.<AttemptEntity>find("partitionKey = :pk and executionId = :id order by attemptIndex",
                                        Parameters.with("pk", e.partitionKey).and("id", id)).list()
                                .map(rows -> Optional.of(rows.stream().map(ExecutionReads::toAttempt).toList()))));
    }

    /** Live leases of the active executions among {@code rows}, by execution id. */
    private static Uni<Map<UUID, AttemptEntity>> leases(List<ExecCoreEntity> rows) {
        List<UUID> active = rows.stream().filter(e -> "active".equals(e.lifecyclePhase)).map(e -> e.executionId).toList();
        if (active.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return AttemptEntity.<AttemptEntity>find("executionId in :ids and leaseExpiresAtMs is not null",
                        Parameters.with("ids", active)).list()
                .map(attempts -> {
                    Map<UUID, AttemptEntity> byId = new HashMap<>();
                    for (AttemptEntity a : attempts) {
                        rows.stream().filter(e -> e.executionId.equals(a.executionId) && e.attemptIndex == a.attemptIndex)
                                .findFirst().ifPresent(e -> byId.put(a.executionId, a));
                    }
                    return byId;
                });
    }

    private static Execution toExecution(ExecCoreEntity e, AttemptEntity lease) {
        Execution.Lease l = lease == null ? null
                : new Execution.Lease(lease.workerId, lease.workerInstanceId, lease.leaseEpoch, lease.leaseExpiresAtMs);
        return new Execution(e.executionId, e.partitionKey, e.namespace, e.laneId, e.kind, e.priority, e.flowId,
                e.requiredCapabilities == null ? List.of() : Arrays.asList(e.requiredCapabilities), e.tags, e.input,
                e.publicState, e.lifecyclePhase, e.ownershipState, e.eligibilityState, e.blockingReason,
                e.attemptState, e.terminalOutcome, e.attemptIndex, e.attemptCount, e.retryCount, e.reclaimCount,
                e.createdAtMs, e.startedAtMs, e.terminalAtMs, e.delayUntilMs, e.deadlineAtMs,
                e.progressPercent == null ? null : e.progressPercent.intValue(), e.progressMessage, e.result,
                e.lastError, l, e.idempotencyKey, e.quotaPolicyId);
    }

    private static Attempt toAttempt(AttemptEntity a) {
        return new Attempt(a.attemptIndex, a.attemptType, a.workerId, a.workerInstanceId, a.leaseEpoch,
                a.startedAtMs, a.terminalAtMs, a.outcome, a.error);
    }
}
