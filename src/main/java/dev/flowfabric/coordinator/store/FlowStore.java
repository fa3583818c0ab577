package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static dev.flowfabric.coordinator.store.FlowSql.*;

/** SQL of flow headers: create, lock, graph revision, derived state, and the flow cancel backlog. */
@ApplicationScoped
public class FlowStore {

    /** What a member create needs to know of its flow. */
    public record Header(UUID flowId, short partitionKey, String publicFlowState, long graphRevision) {
        public boolean terminal() {
            return switch (publicFlowState) {
                case "completed", "failed", "cancelled" -> true;
                default -> false;
            };
        }
    }

    /** A flow header with the {@code {ref: execution_id}} map of the call that created it. */
    public record Flow(UUID flowId, short partitionKey, String namespace, String kind, String publicFlowState,
                       long graphRevision, Map<String, UUID> nodeRefs) { }

    /** A flow cancel as first requested. */
    public record Cancel(String policy, String reason) { }

    /** One member cancel owed by the backlog. */
    public record PendingCancel(short partitionKey, UUID flowId, UUID executionId, String cause,
                                boolean onlyUnleased, String reason) { }

    /** A flow cancel's members and where each stands: pending, cancelled or dropped. */
    public record CancelMember(UUID executionId, String state) { }

    static final String LOCK_FLOWS = """
            SELECT flow_id, partition_key, public_flow_state, graph_revision
            FROM ff_flow_core WHERE flow_id = ANY($1::uuid[])
            ORDER BY flow_id
            FOR UPDATE
            """;

    static final String ADD_MEMBERS_TO_REVISION = """
            UPDATE ff_flow_core f SET graph_revision = f.graph_revision + x.n
            FROM unnest($1::uuid[], $2::int8[]) AS x(flow_id, n)
            WHERE f.flow_id = x.flow_id
            """;

    /** Locks the listed flows (in id order, so concurrent member creates never deadlock). */
    public Uni<Map<UUID, Header>> lockFlows(SqlClient c, List<UUID> flowIds) {
        if (flowIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return Sql.run(c, LOCK_FLOWS, (Object) flowIds.toArray(UUID[]::new)).map(rows -> {
            Map<UUID, Header> out = new HashMap<>();
            for (Row r : rows) {
                out.put(r.getUUID("flow_id"), new Header(r.getUUID("flow_id"), r.getShort("partition_key"),
                        r.getString("public_flow_state"), r.getLong("graph_revision")));
            }
            return out;
        });
    }

    /** Each member added to a flow grows its graph revision by one. */
    public Uni<Void> countMembers(SqlClient c, Map<UUID, Long> addedByFlow) {
        if (addedByFlow.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        UUID[] ids = addedByFlow.keySet().toArray(UUID[]::new);
        Long[] counts = new Long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            counts[i] = addedByFlow.get(ids[i]);
        }
        return Sql.run(c, ADD_MEMBERS_TO_REVISION, ids, counts).replaceWithVoid();
    }

    /** Inserts the flow (and its flow.created event) unless the id exists; true when inserted. */
    public Uni<Boolean> insertIfAbsent(SqlClient c, UUID flowId, short partitionKey, String namespace, String kind,
                                       long now) {
        return Sql.one(c, INSERT_FLOW_IF_ABSENT, r -> r.getLong("created") > 0, partitionKey, flowId, namespace,
                kind, now).map(Optional::orElseThrow);
    }

    public Uni<Optional<Flow>> find(SqlClient c, UUID flowId) {
        return Sql.one(c, SELECT_FLOW, r -> new Flow(r.getUUID("flow_id"), r.getShort("partition_key"),
                r.getString("namespace"), r.getString("kind"), r.getString("public_flow_state"),
                r.getLong("graph_revision"), nodeRefs(r.getString("node_refs"))), flowId);
    }

    public Uni<Void> setNodeRefs(SqlClient c, UUID flowId, Map<String, UUID> refs) {
        JsonObject doc = new JsonObject();
        refs.forEach((ref, id) -> doc.put(ref, id.toString()));
        return Sql.run(c, SET_NODE_REFS, flowId, doc.encode()).replaceWithVoid();
    }

    private static Map<String, UUID> nodeRefs(String json) {
        Map<String, UUID> out = new LinkedHashMap<>();
        if (json != null) {
            new JsonObject(json).forEach(e -> out.put(e.getKey(), UUID.fromString((String) e.getValue())));
        }
        return out;
    }

    /** Grows the graph revision by {@code n} (members and edges added); returns the new revision. */
    public Uni<Long> addToRevision(SqlClient c, UUID flowId, long n) {
        return Sql.one(c, ADD_TO_REVISION, r -> r.getLong("graph_revision"), flowId, n).map(Optional::orElseThrow);
    }

    /**
     * Derives and stores the state of the flows from their members. The caller holds the flow
     * rows ({@link #lockFlows}), taken after every execution row it needs.
     */
    public Uni<Void> deriveStates(SqlClient c, List<UUID> flowIds, long now) {
        if (flowIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Sql.run(c, DERIVE_FLOW_STATES, flowIds.toArray(UUID[]::new), now).replaceWithVoid();
    }

    /** Flows a claim made a member of: open or blocked ones are running now. The caller holds their rows. */
    public Uni<Void> markRunning(SqlClient c, List<UUID> flowIds) {
        if (flowIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Sql.run(c, MARK_RUNNING, (Object) flowIds.toArray(UUID[]::new)).replaceWithVoid();
    }

    // ---- cancel -----------------------------------------------------------------------------

    public Uni<Optional<Cancel>> findCancel(SqlClient c, short partitionKey, UUID flowId) {
        return Sql.one(c, SELECT_CANCEL, r -> new Cancel(r.getString("policy"), r.getString("reason")),
                partitionKey, flowId);
    }

    /**
     * Records the cancel, owes a cancel to each member the policy names, and marks the flow
     * cancelled (with its flow.cancelled event), all on the caller's transaction.
     */
    public Uni<Void> recordCancel(SqlClient c, short partitionKey, UUID flowId, String policy, boolean cancelsMembers,
                                  boolean onlyUnleased, String reason, long now) {
        Uni<Void> header = Sql.run(c, INSERT_CANCEL, partitionKey, flowId, policy, reason, now).replaceWithVoid();
        Uni<Void> members = cancelsMembers
                ? Sql.run(c, ENQUEUE_FLOW_MEMBERS, partitionKey, flowId, onlyUnleased,
                        reason == null ? "flow_cancelled" : reason, now).replaceWithVoid()
                : Uni.createFrom().voidItem();
        return header.call(() -> members)
                .call(() -> Sql.run(c, FLIP_FLOW_CANCELLED, partitionKey, flowId, now, policy, reason));
    }

    public Uni<List<CancelMember>> cancelMembers(SqlClient c, short partitionKey, UUID flowId) {
        return Sql.list(c, SELECT_FLOW_CANCEL_MEMBERS,
                r -> new CancelMember(r.getUUID("execution_id"), r.getString("state")), partitionKey, flowId);
    }

    /** Owes a cancel_remaining cancel to siblings that were busy when their group was satisfied. */
    public Uni<Void> enqueueSiblings(SqlClient c, List<PendingCancel> siblings, long now) {
        if (siblings.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = siblings.size();
        Short[] pk = new Short[n];
        UUID[] flow = new UUID[n];
        UUID[] id = new UUID[n];
        for (int i = 0; i < n; i++) {
            pk[i] = siblings.get(i).partitionKey();
            flow[i] = siblings.get(i).flowId();
            id[i] = siblings.get(i).executionId();
        }
        return Sql.run(c, ENQUEUE_SIBLINGS, pk, flow, id, now).replaceWithVoid();
    }

    /** Locks a batch of owed cancels (of one flow, or of any when {@code flowId} is null). */
    public Uni<List<PendingCancel>> lockPendingCancels(SqlClient c, UUID flowId, int batch) {
        return Sql.list(c, LOCK_PENDING_CANCELS, r -> new PendingCancel(r.getShort("partition_key"),
                r.getUUID("flow_id"), r.getUUID("execution_id"), r.getString("cause"), r.getBoolean("only_unleased"),
                r.getString("reason")), flowId, batch);
    }

    /**
     * Marks the batch's cancels done ({@code cancelled} ones) or unneeded; busy ones stay pending.
     * Returns how many it settled.
     */
    public Uni<Integer> settleCancels(SqlClient c, List<PendingCancel> batch, List<UUID> cancelled, long now) {
        int n = batch.size();
        Short[] pk = new Short[n];
        UUID[] flow = new UUID[n];
        UUID[] id = new UUID[n];
        String[] cause = new String[n];
        for (int i = 0; i < n; i++) {
            PendingCancel p = batch.get(i);
            pk[i] = p.partitionKey();
            flow[i] = p.flowId();
            id[i] = p.executionId();
            cause[i] = p.cause();
        }
        return Sql.run(c, SETTLE_CANCELS, cancelled.toArray(UUID[]::new), now, pk, flow, id, cause)
                .map(rows -> rows.rowCount());
    }

    /** How many member cancels the flow (any flow, when null) still owes. */
    public Uni<Long> countOwed(SqlClient c, UUID flowId) {
        return Sql.one(c, COUNT_OWED, r -> r.getLong("n"), flowId).map(Optional::orElseThrow);
    }
}
