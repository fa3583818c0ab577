package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Dag;
import dev.flowfabric.coordinator.domain.EdgeCondition;
import dev.flowfabric.coordinator.domain.EdgeGroup;
import dev.flowfabric.coordinator.domain.MemberRef;
import dev.flowfabric.coordinator.domain.Partitions;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.metrics.FlowMetrics;
import dev.flowfabric.coordinator.store.EdgeStore;
import dev.flowfabric.coordinator.store.FlowReads;
import dev.flowfabric.coordinator.store.FlowStore;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Building flows (api.md §3): create a flow alone or with its whole DAG, add members, edges and
 * join groups. Each is one transaction.
 *
 * <p>Graph changes lock the execution rows they touch first (upstream, then downstream), then the
 * flow row last; the flow row serializes the cycle check and the graph revision, and resolution
 * work (a new edge from an upstream that already ended) happens before it, so nothing waits for
 * an execution row while holding a flow row. A deadlock can still arise against a concurrent edge
 * in the opposite direction (the edge that would close a cycle); PostgreSQL breaks it and the
 * change is retried once the other committed, to find the cycle.
 */
@ApplicationScoped
public class FlowService {

    private final Transactions tx;
    private final FlowStore flows;
    private final EdgeStore edges;
    private final FlowReads reads;
    private final ExecutionService executions;
    private final FlowResolution resolution;
    private final WorkSignals signals;
    private final Clock clock;
    private final int partitions;

    private final FlowMetrics metrics;

    FlowService(FlowStore flows, EdgeStore edges, FlowReads reads, ExecutionService executions,
                FlowResolution resolution, WorkSignals signals, Clock clock,
                FlowfabricConfig config, FlowMetrics metrics, Transactions tx) {
        this.tx = tx;
        this.metrics = metrics;
        this.flows = flows;
        this.edges = edges;
        this.reads = reads;
        this.executions = executions;
        this.resolution = resolution;
        this.signals = signals;
        this.clock = clock;
        this.partitions = config.partitions();
    }

    /** A node of a flow create: the execution and the ref edges and groups may name it by. */
    public record Node(String ref, CreateExecution execution) { }

    /** An edge of a flow create; its ends are node refs or node execution ids. */
    public record EdgeSpec(String from, String to, EdgeCondition condition) { }

    /** A join group of a flow create, for the node {@code to}. */
    public record GroupSpec(String to, EdgeGroup group) { }

    public record CreateFlow(UUID flowId, String namespace, String kind, List<Node> nodes, List<EdgeSpec> edges,
                             List<GroupSpec> groups) { }

    /** The flow and its {@code {ref: execution_id}} map; {@code created} is false for a repeat. */
    public record FlowCreated(FlowReads.View flow, Map<String, UUID> nodes, boolean created) { }

    public record Joined(long graphRevision, boolean created) { }

    public record EdgeAdded(UUID edgeId, long graphRevision) { }

    public Uni<FlowCreated> create(CreateFlow cmd) {
        UUID flowId = cmd.flowId() != null ? cmd.flowId() : UUID.randomUUID();
        short partition = Partitions.forFlow(flowId, partitions);
        Plan plan = plan(flowId, cmd);
        long now = clock.millis();
        return tx.run(c -> resolution.inScope(c, now, List.of(flowId),
                        () -> flows.insertIfAbsent(c, flowId, partition, cmd.namespace(), cmd.kind(), now)
                                .flatMap(inserted -> inserted
                                        ? build(c, flowId, partition, plan, now)
                                        : repeat(c, flowId, cmd))))
                .invoke(built -> signals.wakeCommitted(built.made()))
                .invoke(built -> built.made().forEach(t -> metrics.created(t.lane())))
                .flatMap(built -> reads.view(flowId).map(v -> new FlowCreated(v.orElseThrow(), built.nodes(),
                        built.created())));
    }

    /** The request's graph resolved to execution ids and checked, before any row is written. */
    private record Plan(List<CreateExecution> nodes, Set<UUID> blocked, Map<String, UUID> refs,
                        List<EdgeStore.NewEdge> edges, List<UUID> groupTargets, List<EdgeGroup> groups) { }

    private record Built(Map<String, UUID> nodes, boolean created, List<Transition> made) { }

    private Plan plan(UUID flowId, CreateFlow cmd) {
        Map<String, UUID> refs = new LinkedHashMap<>();
        Set<UUID> ids = new HashSet<>();
        List<CreateExecution> nodes = new ArrayList<>();
        for (int i = 0; i < cmd.nodes().size(); i++) {
            Node n = cmd.nodes().get(i);
            CreateExecution e = n.execution();
            if (e.flowId() != null && !e.flowId().equals(flowId)) {
                throw Problem.invalid("nodes[" + i + "]: flow_id must be absent or this flow's id");
            }
            UUID id = e.executionId() != null ? e.executionId() : UUID.randomUUID();
            if (refs.put(n.ref(), id) != null) {
                throw Problem.invalid("nodes[" + i + "]: ref '" + n.ref() + "' is used twice");
            }
            if (!ids.add(id)) {
                throw Problem.invalid("nodes[" + i + "]: execution_id " + id + " is used twice");
            }
            nodes.add(new CreateExecution(id, e.namespace(), e.lane(), e.kind(), e.inputJson(), e.priority(),
                    e.requiredCapabilities(), e.tagsJson(), e.idempotencyKey(), e.delayUntilMs(), e.deadlineAtMs(),
                    e.retryPolicyJson(), e.attemptTimeoutMs(), flowId, e.budgetIds(), e.quotaPolicyId()));
        }
        List<EdgeStore.NewEdge> newEdges = new ArrayList<>();
        List<Dag.Arc<UUID>> arcs = new ArrayList<>();
        Set<List<UUID>> pairs = new HashSet<>();
        Map<UUID, Integer> incoming = new HashMap<>();
        for (int i = 0; i < cmd.edges().size(); i++) {
            EdgeSpec e = cmd.edges().get(i);
            UUID from = node(refs, ids, e.from(), "edges[" + i + "].from");
            UUID to = node(refs, ids, e.to(), "edges[" + i + "].to");
            if (from.equals(to)) {
                throw Problem.conflict(ProblemKind.SELF_REFERENCING_EDGE, "edges[" + i + "] joins a node to itself");
            }
            if (!pairs.add(List.of(from, to))) {
                throw Problem.conflict(ProblemKind.DEPENDENCY_ALREADY_EXISTS,
                        "edges[" + i + "] repeats the edge " + e.from() + " -> " + e.to());
            }
            arcs.add(new Dag.Arc<>(from, to));
            incoming.merge(to, 1, Integer::sum);
            newEdges.add(new EdgeStore.NewEdge(UUID.randomUUID(), from, to, e.condition().wire()));
        }
        if (Dag.hasCycle(arcs)) {
            throw Problem.conflict(ProblemKind.CYCLE_DETECTED, "the edges form a cycle");
        }
        List<UUID> targets = new ArrayList<>();
        List<EdgeGroup> groups = new ArrayList<>();
        for (int i = 0; i < cmd.groups().size(); i++) {
            GroupSpec g = cmd.groups().get(i);
            UUID to = node(refs, ids, g.to(), "groups[" + i + "].to");
            if (targets.contains(to)) {
                throw Problem.invalid("groups[" + i + "]: node " + g.to() + " has a group already");
            }
            checkQuorum(g.group(), incoming.getOrDefault(to, 0), "groups[" + i + "]: ");
            targets.add(to);
            groups.add(g.group());
        }
        return new Plan(nodes, incoming.keySet(), refs, newEdges, targets, groups);
    }

    /** A node named by its ref, or by its execution id. */
    private static UUID node(Map<String, UUID> refs, Set<UUID> ids, String name, String field) {
        UUID byRef = refs.get(name);
        if (byRef != null) {
            return byRef;
        }
        try {
            UUID id = UUID.fromString(name);
            if (ids.contains(id)) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // not an id either
        }
        throw Problem.invalid(field + " '" + name + "' names no node of this flow");
    }

    private static void checkQuorum(EdgeGroup group, long incoming, String where) {
        if (group.policy() == EdgeGroup.Policy.QUORUM && group.k() > incoming) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, where + "quorum k=" + group.k()
                    + " exceeds the downstream's " + incoming + " incoming edge(s)");
        }
    }

    private Uni<Built> build(SqlConnection c, UUID flowId, short partition, Plan plan, long now) {
        return executions.createIn(c, plan.nodes(), plan.blocked(), true, now).flatMap(created -> {
            for (Created x : created) {
                if (!x.created()) {
                    UUID other = x.execution().flowId();
                    throw Problem.conflict(other == null ? ProblemKind.IDEMPOTENCY_CONFLICT
                                    : ProblemKind.EXECUTION_ALREADY_IN_FLOW,
                            "execution " + x.execution().executionId() + " already exists"
                                    + (other == null ? "" : " in flow " + other));
                }
            }
            List<Transition> made = created.stream().map(x -> Transition.of(x.execution(), false, false)).toList();
            return edges.insertEdges(c, partition, flowId, plan.edges(), now)
                    .call(inserted -> inserted.isEmpty() ? Uni.createFrom().voidItem()
                            : flows.addToRevision(c, flowId, inserted.size()))
                    .call(() -> edges.upsertGroups(c, partition, flowId, plan.groupTargets(), plan.groups(), now))
                    .call(() -> flows.setNodeRefs(c, flowId, plan.refs()))
                    .replaceWith(new Built(plan.refs(), true, made));
        });
    }

    /** The flow exists: the same request again gets it back; another kind or namespace is a conflict. */
    private Uni<Built> repeat(SqlConnection c, UUID flowId, CreateFlow cmd) {
        return flows.find(c, flowId).map(found -> {
            FlowStore.Flow f = found.orElseThrow(() -> Problem.refused(ProblemKind.UNAVAILABLE,
                    "a concurrent change hid the flow; retry", null));
            if (!cmd.kind().equals(f.kind()) || !cmd.namespace().equals(f.namespace())) {
                throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT,
                        "flow " + flowId + " already exists with another kind or namespace");
            }
            return new Built(f.nodeRefs(), false, List.of());
        });
    }

    /** Adds an existing execution of the flow's partition to the flow. */
    public Uni<Joined> addMember(UUID flowId, UUID executionId) {
        long now = clock.millis();
        return tx.run(c -> resolution.inScope(c, now, List.of(flowId), () -> edges.lockExecution(c, executionId)
                .flatMap(found -> {
                    EdgeStore.Locked x = found.orElseThrow(() -> Problem.notFound("execution", executionId));
                    return flow(c, flowId).flatMap(flow -> {
                        if (flowId.equals(x.flowId())) {
                            return Uni.createFrom().item(new Joined(flow.graphRevision(), false));
                        }
                        if (x.flowId() != null) {
                            throw Problem.conflict(ProblemKind.EXECUTION_ALREADY_IN_FLOW,
                                    "execution " + executionId + " is a member of flow " + x.flowId());
                        }
                        refuseIfEnded(flow);
                        if (x.ref().partitionKey() != flow.partitionKey()) {
                            throw Problem.badRequest(ProblemKind.PARTITION_MISMATCH, "execution " + executionId
                                    + " is on partition " + x.ref().partitionKey() + ", the flow on "
                                    + flow.partitionKey() + "; create it with flow_id instead");
                        }
                        return edges.joinFlowIfSolo(c, x.ref(), flowId)
                                .chain(() -> flows.addToRevision(c, flowId, 1))
                                .map(revision -> new Joined(revision, true));
                    });
                })));
    }

    /**
     * Adds the edge {@code from -> to}. An edge from an upstream that already ended is resolved
     * at once; the downstream, if it never ran, then waits for its join or is released or skipped.
     */
    public Uni<EdgeAdded> addEdge(UUID flowId, UUID from, UUID to, EdgeCondition condition, Long expectedRevision) {
        if (from.equals(to)) {
            throw Problem.conflict(ProblemKind.SELF_REFERENCING_EDGE, "an edge cannot join " + from + " to itself");
        }
        long now = clock.millis();
        var edge = new EdgeStore.NewEdge(UUID.randomUUID(), from, to, condition.wire());
        return tx.run(c -> resolution.inScope(c, now, List.of(flowId), () -> precheck(c, flowId, expectedRevision)
                .flatMap(pre -> edges.reaches(c, pre.partitionKey(), from, to))
                .invoke(closes -> refuseCycle(closes, from, to))
                .chain(() -> member(c, flowId, from, "from"))
                .chain(() -> member(c, flowId, to, "to"))
                .flatMap(down -> insertAndSettle(c, flowId, down, edge, now))
                .chain(() -> flow(c, flowId))
                .flatMap(flow -> {
                    refuseIfEnded(flow);
                    refuseIfStale(flow, expectedRevision);
                    return edges.reaches(c, flow.partitionKey(), from, to);
                })
                .invoke(closes -> refuseCycle(closes, from, to))
                .chain(() -> flows.addToRevision(c, flowId, 1))
                .map(revision -> new EdgeAdded(edge.edgeId(), revision))));
    }

    /** Inserts the edge (resolved at once if its upstream ended) and brings the locked downstream in line. */
    private Uni<Void> insertAndSettle(SqlConnection c, UUID flowId, EdgeStore.Locked down, EdgeStore.NewEdge edge,
                                      long now) {
        return edges.insertEdges(c, down.ref().partitionKey(), flowId, List.of(edge), now).flatMap(inserted -> {
            if (inserted.isEmpty()) {
                throw Problem.conflict(ProblemKind.DEPENDENCY_ALREADY_EXISTS,
                        "the edge " + edge.from() + " -> " + edge.to() + " exists already");
            }
            return resolution.settle(c, List.of(down.ref()), now);
        });
    }

    /** Sets how a downstream that never ran joins its edges, and applies it at once. */
    public Uni<EdgeGroup> putGroup(UUID flowId, UUID downstreamId, EdgeGroup group) {
        long now = clock.millis();
        return tx.run(c -> resolution.inScope(c, now, List.of(flowId), () -> precheck(c, flowId, null)
                .flatMap(pre -> member(c, flowId, downstreamId, "downstream"))
                .flatMap(down -> {
                    if (down.terminal() || !down.neverClaimed()) {
                        throw Problem.conflict(ProblemKind.NOT_RUNNABLE, "the join of " + downstreamId
                                + " can change only while it has never run and has not ended");
                    }
                    return edges.countIncoming(c, down.ref()).flatMap(incoming -> {
                        checkQuorum(group, incoming, "");
                        return edges.upsertGroups(c, down.ref().partitionKey(), flowId, List.of(downstreamId),
                                        List.of(group), now)
                                .chain(() -> resolution.settle(c, List.of(down.ref()), now));
                    });
                })
                .chain(() -> flow(c, flowId))
                .map(flow -> {
                    refuseIfEnded(flow);
                    return group;
                })));
    }

    /** Unlocked early checks, so a doomed change locks nothing; the same checks repeat under the flow lock. */
    private Uni<FlowStore.Flow> precheck(SqlConnection c, UUID flowId, Long expectedRevision) {
        return flows.find(c, flowId).map(found -> {
            FlowStore.Flow f = found.orElseThrow(() -> Problem.notFound("flow", flowId));
            refuseIfEnded(f);
            refuseIfStale(f, expectedRevision);
            return f;
        });
    }

    /** Locks the flow row (last) and returns it. */
    private Uni<FlowStore.Flow> flow(SqlConnection c, UUID flowId) {
        return flows.lockFlows(c, List.of(flowId)).chain(() -> flows.find(c, flowId))
                .map(found -> found.orElseThrow(() -> Problem.notFound("flow", flowId)));
    }

    /** Locks an execution that must be a member of the flow. */
    private Uni<EdgeStore.Locked> member(SqlConnection c, UUID flowId, UUID id, String role) {
        return edges.lockExecution(c, id).map(found -> {
            EdgeStore.Locked x = found.orElseThrow(() -> Problem.notFound("execution", id));
            if (!flowId.equals(x.flowId())) {
                throw Problem.invalid(role + " execution " + id + " is not a member of flow " + flowId);
            }
            return x;
        });
    }

    private static void refuseIfEnded(FlowStore.Flow f) {
        refuseIfEnded(f.flowId(), f.publicFlowState());
    }

    private static void refuseIfEnded(UUID flowId, String state) {
        switch (state) {
            case "completed", "failed", "cancelled" -> throw Problem.conflict(ProblemKind.FLOW_ALREADY_TERMINAL,
                    "flow " + flowId + " is " + state);
            default -> { }
        }
    }

    private static void refuseIfStale(FlowStore.Flow f, Long expected) {
        if (expected != null && expected != f.graphRevision()) {
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("expected_graph_revision", expected);
            extras.put("graph_revision", f.graphRevision());
            throw Problem.conflict(ProblemKind.STALE_GRAPH_REVISION, "the flow is at graph revision "
                    + f.graphRevision() + ", not " + expected, extras);
        }
    }

    private static void refuseCycle(boolean closes, UUID from, UUID to) {
        if (closes) {
            throw Problem.conflict(ProblemKind.CYCLE_DETECTED, "the edge " + from + " -> " + to
                    + " would close a cycle");
        }
    }

}
