package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Attempt;
import dev.flowfabric.coordinator.domain.Execution;
import dev.flowfabric.coordinator.domain.Fence;
import dev.flowfabric.coordinator.domain.NewExecution;
import dev.flowfabric.coordinator.domain.Partitions;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.store.ExecutionReads;
import dev.flowfabric.coordinator.store.ExecutionStore;
import dev.flowfabric.coordinator.store.FlowStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/** Creating, reading and operating on executions (api.md §1). One transaction per use case. */
@ApplicationScoped
public class ExecutionService {

    private static final List<String> NON_TERMINAL = List.of("submitted", "runnable", "active", "suspended");

    private final Transactions tx;
    private final ExecutionStore store;
    private final FlowStore flows;
    private final ExecutionReads reads;
    private final WorkSignals signals;
    private final TransitionHooks hooks;
    private final Clock clock;
    private final FlowMetrics metrics;
    private final int partitions;

    ExecutionService(ExecutionStore store, FlowStore flows, ExecutionReads reads, WorkSignals signals,
                     TransitionHooks hooks, Clock clock, FlowfabricConfig config, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.hooks = hooks;
        this.store = store;
        this.flows = flows;
        this.reads = reads;
        this.signals = signals;
        this.clock = clock;
        this.partitions = config.partitions();
    }

    /**
     * Creates the executions in one transaction, in request order. An id or idempotency key seen
     * before resolves to the existing execution; one naming other work is a conflict that rolls
     * the whole batch back. {@code batch} only changes how errors name the item.
     */
    public Uni<List<Created>> create(List<CreateExecution> requests, boolean batch) {
        long now = clock.millis();
        return tx.run(c -> createIn(c, requests, Set.of(), batch, now))
                .invoke(results -> signals.wakeCommitted(results.stream().filter(Created::created)
                        .map(r -> Transition.of(r.execution(), false, false)).toList()))
                .invoke(results -> results.stream().filter(Created::created)
                        .forEach(r -> metrics.created(r.execution().lane())));
    }

    /**
     * The create on the caller's transaction (a flow created with its nodes is one transaction).
     * Executions whose id is in {@code blocked} start waiting for their dependencies. The caller
     * wakes claimers after commit.
     */
    public Uni<List<Created>> createIn(SqlConnection c, List<CreateExecution> requests, Set<UUID> blocked,
                                       boolean batch, long now) {
        return flows.lockFlows(c, distinctFlows(requests)).flatMap(headers -> {
            List<NewExecution> items = prepare(requests, headers, blocked, batch);
            return store.insertIfAbsent(c, items, now, signals.replicaId())
                    .call(inserted -> countFlowMembers(c, inserted))
                    .call(inserted -> hooks.after(c, transitions(inserted), now))
                    .flatMap(inserted -> resolve(c, items, inserted, batch));
        });
    }

    public Uni<Execution> get(UUID id) {
        return reads.get(id).map(found -> found.orElseThrow(() -> Problem.notFound("execution", id)));
    }

    public Uni<ExecutionReads.Page> list(ExecutionReads.Filter filter, ExecutionReads.After after, int limit) {
        return reads.list(filter, after, limit);
    }

    public Uni<List<Attempt>> attempts(UUID id) {
        return reads.attempts(id).map(found -> found.orElseThrow(() -> Problem.notFound("execution", id)));
    }

    /** Operator cancel: ends any lease; cancelling a cancelled execution changes nothing. */
    public Uni<Execution> cancel(UUID id, String reason) {
        long now = clock.millis();
        var termination = new ExecutionStore.Termination("cancelled", "cancelled", NON_TERMINAL, reason,
                "execution.cancelled", null);
        return tx.run(c -> store.terminate(c, id, termination, now).flatMap(done -> {
            if (done.isPresent()) {
                return hooks.after(c, List.of(done.get().transition()), now).replaceWith(done.get().execution());
            }
            return store.find(c, id).map(existing -> {
                Execution e = existing.orElseThrow(() -> Problem.notFound("execution", id));
                if ("cancelled".equals(e.publicState())) {
                    return e;
                }
                throw Fence.notActive(new Fence.ExecutionState(e.lifecyclePhase(), e.publicState(),
                        e.terminalOutcome()));
            });
        }));
    }

    public Uni<Execution> setPriority(UUID id, int priority) {
        long now = clock.millis();
        return tx.run(c -> store.setPriority(c, id, priority, now)
                .flatMap(done -> done.isPresent() ? Uni.createFrom().item(done.get())
                        : refuse(c, id, ProblemKind.NOT_RUNNABLE, "priority can change only while waiting or delayed")));
    }

    public Uni<Execution> replay(UUID id, String reason) {
        long now = clock.millis();
        return changed(now, c -> store.replay(c, id, reason, now), false,
                c -> refuse(c, id, ProblemKind.EXECUTION_NOT_TERMINAL, "only a terminal execution can be replayed"));
    }

    public Uni<Execution> revokeLease(UUID id, String reason) {
        long now = clock.millis();
        return changed(now, c -> store.revokeLease(c, id, reason, now), true,
                c -> refuse(c, id, ProblemKind.NOT_RUNNABLE, "only an active execution has a lease to revoke"));
    }

    /** One guarded change in a transaction: hooks and NOTIFY inside, local wake-up after commit. */
    private Uni<Execution> changed(long now, Function<SqlConnection, Uni<Optional<Execution>>> change,
                                   boolean leaseEnded, Function<SqlConnection, Uni<Execution>> otherwise) {
        return tx.run(c -> change.apply(c).flatMap(done -> {
                    if (done.isEmpty()) {
                        return otherwise.apply(c);
                    }
                    List<Transition> t = List.of(Transition.of(done.get(), false, leaseEnded));
                    return hooks.after(c, t, now).call(() -> signals.announce(c, t)).replaceWith(done.get());
                }))
                .invoke(e -> signals.wakeCommitted(List.of(Transition.of(e, false, leaseEnded))));
    }

    private static List<Transition> transitions(List<Execution> executions) {
        return executions.stream().map(e -> Transition.of(e, false, false)).toList();
    }

    /** The guarded statement matched nothing: 404 if the execution is missing, else the given 409. */
    private Uni<Execution> refuse(SqlConnection c, UUID id, ProblemKind kind, String detail) {
        return store.find(c, id).map(existing -> {
            Execution e = existing.orElseThrow(() -> Problem.notFound("execution", id));
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("public_state", e.publicState());
            throw Problem.conflict(kind, detail + " (it is " + e.publicState() + ")", extras);
        });
    }

    private static List<UUID> distinctFlows(List<CreateExecution> requests) {
        return requests.stream().map(CreateExecution::flowId).filter(f -> f != null).distinct().toList();
    }

    private List<NewExecution> prepare(List<CreateExecution> requests, Map<UUID, FlowStore.Header> headers,
                                       Set<UUID> blocked, boolean batch) {
        List<NewExecution> items = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            CreateExecution r = requests.get(i);
            short partition;
            if (r.flowId() != null) {
                FlowStore.Header flow = headers.get(r.flowId());
                if (flow == null) {
                    throw Problem.notFound("flow", r.flowId());
                }
                if (flow.terminal()) {
                    throw Problem.conflict(ProblemKind.FLOW_ALREADY_TERMINAL,
                            where(batch, i) + "flow " + r.flowId() + " is " + flow.publicFlowState());
                }
                partition = flow.partitionKey();
            } else {
                partition = Partitions.forLane(r.lane(), partitions);
            }
            UUID id = r.executionId() != null ? r.executionId() : UUID.randomUUID();
            items.add(new NewExecution(id, partition, r.namespace(), r.lane(), r.kind(), r.inputJson(), r.priority(),
                    r.requiredCapabilities(), r.tagsJson(), r.idempotencyKey(), r.delayUntilMs(), r.deadlineAtMs(),
                    r.retryPolicyJson(), r.attemptTimeoutMs(), r.flowId(), r.budgetIds(), r.quotaPolicyId(),
                    blocked.contains(id)));
        }
        return items;
    }

    private Uni<Void> countFlowMembers(SqlConnection c, List<Execution> inserted) {
        Map<UUID, Long> added = new HashMap<>();
        inserted.stream().filter(e -> e.flowId() != null).forEach(e -> added.merge(e.flowId(), 1L, Long::sum));
        return flows.countMembers(c, added);
    }

    /** Pairs each requested item with its inserted row, or with the existing row it duplicates. */
    private Uni<List<Created>> resolve(SqlConnection c, List<NewExecution> items, List<Execution> inserted,
                                       boolean batch) {
        Map<UUID, Execution> fresh = new HashMap<>();
        inserted.forEach(e -> fresh.put(e.executionId(), e));
        List<NewExecution> missing = items.stream().filter(i -> !fresh.containsKey(i.executionId())).toList();
        List<NewExecution> keyed = missing.stream().filter(m -> m.idempotencyKey() != null).toList();
        Uni<List<Execution>> existing = missing.isEmpty() ? Uni.createFrom().item(List.of())
                : store.findByIdsOrKeys(c, missing.stream().map(NewExecution::executionId).toList(),
                        keyed.stream().map(NewExecution::namespace).toList(),
                        keyed.stream().map(NewExecution::idempotencyKey).toList());
        return existing.map(found -> {
            Map<UUID, Execution> byId = new HashMap<>();
            Map<String, Execution> byKey = new HashMap<>();
            for (Execution e : found) {
                byId.put(e.executionId(), e);
                if (e.idempotencyKey() != null) {
                    byKey.put(key(e.namespace(), e.idempotencyKey()), e);
                }
            }
            List<Created> out = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) {
                NewExecution item = items.get(i);
                Execution mine = fresh.remove(item.executionId()); // a repeat later in the batch is a duplicate
                if (mine != null) {
                    out.add(new Created(mine, true));
                    byId.put(mine.executionId(), mine);
                    if (mine.idempotencyKey() != null) {
                        byKey.put(key(mine.namespace(), mine.idempotencyKey()), mine);
                    }
                    continue;
                }
                Execution other = byId.get(item.executionId());
                if (other == null && item.idempotencyKey() != null) {
                    other = byKey.get(key(item.namespace(), item.idempotencyKey()));
                }
                if (other == null) {
                    throw Problem.refused(ProblemKind.UNAVAILABLE, "a concurrent change hid the duplicate; retry", null);
                }
                if (!item.sameWorkAs(other)) {
                    throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT, where(batch, i)
                            + "execution " + other.executionId() + " already exists with another lane or kind");
                }
                out.add(new Created(other, false));
            }
            return out;
        });
    }

    private static String key(String namespace, String idempotencyKey) {
        return namespace + '\u0000' + idempotencyKey;
    }

    private static String where(boolean batch, int index) {
        return batch ? "executions[" + index + "]: " : "";
    }

}
