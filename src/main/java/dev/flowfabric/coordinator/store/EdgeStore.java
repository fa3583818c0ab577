package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.EdgeGroup;
import dev.flowfabric.coordinator.domain.Execution;
import dev.flowfabric.coordinator.domain.MemberRef;
import dev.flowfabric.coordinator.domain.Transition;
import dev.flowfabric.coordinator.domain.Wire;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static dev.flowfabric.coordinator.store.FlowSql.*;

/**
 * SQL of the flow graph and its resolution: edges, join groups, and the member transitions flows
 * make (release, gate, skip, cancel). Every method runs on the transaction it is given.
 */
@ApplicationScoped
public class EdgeStore {

    /** An execution row locked by a graph change. */
    public record Locked(MemberRef ref, UUID flowId, String lifecyclePhase, boolean neverClaimed) {
        public boolean terminal() {
            return "terminal".equals(lifecyclePhase);
        }
    }

    /** An edge to insert. */
    public record NewEdge(UUID edgeId, UUID from, UUID to, String condition) { }

    /** An inserted edge and the state it took (not pending when its upstream had already ended). */
    public record InsertedEdge(UUID edgeId, String state) { }

    /** A downstream's join: its policy, the incoming edges counted by state, and where it stands. */
    public record Join(MemberRef ref, UUID flowId, String lifecyclePhase, String eligibilityState,
                       boolean neverClaimed, EdgeGroup group, long satisfied, long impossible, long pending) {
        public EdgeGroup.Verdict verdict() {
            return group.verdict(satisfied, impossible, pending);
        }

        public boolean gated() {
            return "runnable".equals(lifecyclePhase) && "blocked_by_dependencies".equals(eligibilityState);
        }

        /** Only a runnable member that never ran may still be gated, released by its join, or skipped. */
        public boolean open() {
            return "runnable".equals(lifecyclePhase) && neverClaimed;
        }
    }

    /** A member cancelled by flow machinery, and whether a worker's lease ended with it. */
    public record Cancelled(Execution execution, boolean leaseEnded) {
        public Transition transition() {
            return Transition.of(execution, false, leaseEnded);
        }
    }

    /** A pending upstream of a satisfied join: a cancel_remaining target. */
    public record Remaining(short partitionKey, UUID flowId, UUID executionId) { }

    public Uni<Optional<Locked>> lockExecution(SqlClient c, UUID id) {
        return Sql.one(c, LOCK_EXECUTION, r -> new Locked(new MemberRef(r.getShort("partition_key"),
                r.getUUID("execution_id")), r.getUUID("flow_id"), r.getString("lifecycle_phase"),
                r.getBoolean("never_claimed")), id);
    }

    /** Puts a solo execution into a flow; false when it belongs to a flow already. */
    public Uni<Boolean> joinFlowIfSolo(SqlClient c, MemberRef ref, UUID flowId) {
        return Sql.run(c, JOIN_FLOW_IF_SOLO, ref.partitionKey(), ref.executionId(), flowId)
                .map(rows -> rows.rowCount() > 0);
    }

    /** Inserts edges between members of one flow; a pair that exists already is missing from the result. */
    public Uni<List<InsertedEdge>> insertEdges(SqlClient c, short partitionKey, UUID flowId, List<NewEdge> edges,
                                               long now) {
        if (edges.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        int n = edges.size();
        UUID[] id = new UUID[n];
        UUID[] up = new UUID[n];
        UUID[] down = new UUID[n];
        String[] cond = new String[n];
        for (int i = 0; i < n; i++) {
            NewEdge e = edges.get(i);
            id[i] = e.edgeId();
            up[i] = e.from();
            down[i] = e.to();
            cond[i] = e.condition();
        }
        return Sql.list(c, INSERT_EDGES_IF_ABSENT, r -> new InsertedEdge(r.getUUID("edge_id"), r.getString("state")),
                partitionKey, flowId, now, id, up, down, cond);
    }

    /** True when {@code from} is reachable from {@code to}: an edge from -> to would close a cycle. */
    public Uni<Boolean> reaches(SqlClient c, short partitionKey, UUID from, UUID to) {
        return Sql.one(c, SELECT_REACHES, r -> r.getBoolean("reaches"), partitionKey, from, to)
                .map(Optional::orElseThrow);
    }

    public Uni<Long> countIncoming(SqlClient c, MemberRef downstream) {
        return Sql.one(c, COUNT_INCOMING, r -> r.getLong("n"), downstream.partitionKey(), downstream.executionId())
                .map(Optional::orElseThrow);
    }

    /** Stores join groups (downstream ids aligned with their groups). */
    public Uni<Void> upsertGroups(SqlClient c, short partitionKey, UUID flowId, List<UUID> downstreams,
                                  List<EdgeGroup> groups, long now) {
        if (downstreams.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = downstreams.size();
        String[] policy = new String[n];
        Integer[] k = new Integer[n];
        String[] onSatisfied = new String[n];
        for (int i = 0; i < n; i++) {
            policy[i] = groups.get(i).policy().wire();
            k[i] = groups.get(i).k();
            onSatisfied[i] = groups.get(i).onSatisfied().wire();
        }
        return Sql.run(c, UPSERT_GROUPS, partitionKey, flowId, now, downstreams.toArray(UUID[]::new), policy, k,
                onSatisfied).replaceWithVoid();
    }

    /**
     * Resolves the pending outgoing edges of ended upstreams and locks the downstreams they reach
     * that still wait for their dependencies.
     */
    public Uni<List<MemberRef>> resolveEdgesAndLockGated(SqlClient c, List<Transition> ended, long now) {
        int n = ended.size();
        Short[] pk = new Short[n];
        UUID[] id = new UUID[n];
        String[] outcome = new String[n];
        for (int i = 0; i < n; i++) {
            pk[i] = ended.get(i).partitionKey();
            id[i] = ended.get(i).executionId();
            outcome[i] = ended.get(i).terminalOutcome();
        }
        return Sql.list(c, RESOLVE_EDGES_AND_LOCK_GATED,
                r -> new MemberRef(r.getShort("partition_key"), r.getUUID("execution_id")), pk, id, outcome, now);
    }

    /** The joins of locked downstreams. */
    public Uni<List<Join>> joins(SqlClient c, List<MemberRef> downstreams) {
        return Sql.list(c, SELECT_JOINS, EdgeStore::join, partitions(downstreams), ids(downstreams));
    }

    private static Join join(Row r) {
        String policy = r.getString("policy");
        EdgeGroup group = policy == null ? EdgeGroup.DEFAULT
                : new EdgeGroup(Wire.parse(EdgeGroup.Policy.class, policy), r.getInteger("k"),
                        Wire.parse(EdgeGroup.OnSatisfied.class, r.getString("on_satisfied")));
        return new Join(new MemberRef(r.getShort("partition_key"), r.getUUID("execution_id")), r.getUUID("flow_id"),
                r.getString("lifecycle_phase"), r.getString("eligibility_state"), r.getBoolean("never_claimed"),
                group, r.getLong("satisfied"), r.getLong("impossible"), r.getLong("pending"));
    }

    public Uni<List<Execution>> release(SqlClient c, List<MemberRef> refs, long now) {
        return changeAll(c, RELEASE_IF_GATED, refs, now);
    }

    public Uni<List<Execution>> gate(SqlClient c, List<MemberRef> refs, long now) {
        return changeAll(c, GATE_IF_NEVER_CLAIMED, refs, now);
    }

    public Uni<List<Execution>> skip(SqlClient c, List<MemberRef> refs, long now) {
        return changeAll(c, SKIP_IF_OPEN, refs, now);
    }

    private Uni<List<Execution>> changeAll(SqlClient c, String sql, List<MemberRef> refs, long now) {
        if (refs.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Sql.list(c, sql, ExecutionRows::execution, partitions(refs), ids(refs), now);
    }

    public Uni<List<Remaining>> remainingUpstreams(SqlClient c, List<MemberRef> downstreams) {
        if (downstreams.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Sql.list(c, SELECT_REMAINING_UPSTREAMS, r -> new Remaining(r.getShort("partition_key"),
                r.getUUID("flow_id"), r.getUUID("upstream_id")), partitions(downstreams), ids(downstreams));
    }

    /**
     * Cancels the live members among {@code ids} (one partition), skipping rows another
     * transaction holds. {@code cause} is {@code flow_cancel} or {@code cancel_remaining}.
     */
    public Uni<List<Cancelled>> cancelMembers(SqlClient c, short partitionKey, List<UUID> ids, boolean onlyUnleased,
                                              String reason, String cause, long now) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Sql.list(c, CANCEL_MEMBERS_IF_LIVE,
                r -> new Cancelled(ExecutionRows.execution(r), r.getBoolean("lease_ended")),
                partitionKey, ids.toArray(UUID[]::new), onlyUnleased, now, reason, cause);
    }

    // ---- repair -----------------------------------------------------------------------------

    /** Ended upstreams whose outgoing edges are still pending, locked, as the transitions that ended them. */
    public Uni<List<Transition>> lockFinishedWithPendingEdges(SqlClient c, int batch) {
        return Sql.list(c, LOCK_FINISHED_WITH_PENDING_EDGES, r -> new Transition(r.getUUID("execution_id"),
                r.getShort("partition_key"), r.getUUID("flow_id"), r.getString("lane_id"),
                r.getUUID("quota_policy_id"), r.getString("public_state"), r.getString("terminal_outcome"),
                false, false), batch);
    }

    public Uni<List<MemberRef>> lockStuckGated(SqlClient c, int batch) {
        return Sql.list(c, LOCK_STUCK_GATED, r -> new MemberRef(r.getShort("partition_key"),
                r.getUUID("execution_id")), batch);
    }

    private static Short[] partitions(List<MemberRef> refs) {
        return refs.stream().map(MemberRef::partitionKey).toArray(Short[]::new);
    }

    private static UUID[] ids(List<MemberRef> refs) {
        return refs.stream().map(MemberRef::executionId).toArray(UUID[]::new);
    }
}
