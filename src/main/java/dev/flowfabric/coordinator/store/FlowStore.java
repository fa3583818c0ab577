package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** SQL of flow headers. */
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
}
