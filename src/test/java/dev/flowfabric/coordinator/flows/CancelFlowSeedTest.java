package dev.flowfabric.coordinator.flows;

import dev.flowfabric.coordinator.domain.Partitions;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static dev.flowfabric.coordinator.flows.Flows.post;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Port of the seed regression {@code cancel_flow_clears_member_attempt_outcome}
 * (shared/seeds/wave9_followups.rs.txt, #355): rows seeded by SQL exactly as the seed does, the
 * cancel through HTTP without wait, and the member's stale attempt outcome must be null after.
 */
@QuarkusTest
class CancelFlowSeedTest {

    @Inject
    Pool pool;

    @Test
    void cancel_flow_clears_member_attempt_outcome() {
        UUID flowId = UUID.randomUUID();
        short part = Partitions.forFlow(flowId, 256);
        long now = System.currentTimeMillis();
        pool.preparedQuery("INSERT INTO ff_flow_core "
                        + "(partition_key, flow_id, graph_revision, public_flow_state, created_at_ms) "
                        + "VALUES ($1, $2, 0, 'open', $3)")
                .execute(Tuple.of(part, flowId, now)).await().indefinitely();
        UUID member = UUID.randomUUID();
        pool.preparedQuery("INSERT INTO ff_exec_core "
                        + "(partition_key, execution_id, flow_id, lane_id, attempt_index, "
                        + "lifecycle_phase, ownership_state, eligibility_state, "
                        + "public_state, attempt_state, "
                        + "priority, created_at_ms, raw_fields) "
                        + "VALUES ($1, $2, $3, $4, $5, $6, 'unowned', 'eligible_now', "
                        + "$7, 'running_attempt', 0, $8, '{}'::jsonb)")
                .execute(Tuple.from(java.util.Arrays.asList(part, member, flowId, "default", 0, "runnable", "waiting",
                        now))).await().indefinitely();
        pool.preparedQuery("INSERT INTO ff_attempt "
                        + "(partition_key, execution_id, attempt_index, lease_epoch, outcome) "
                        + "VALUES ($1, $2, $3, 1, $4)")
                .execute(Tuple.of(part, member, 0, "retry")).await().indefinitely();
        assertEquals("retry", outcome(part, member), "pre-cancel: stale retry outcome seeded");

        post("/v1/flows/" + flowId + "/cancel", "{\"policy\":\"cancel_all\"}").statusCode(200)
                .body("outcome", equalTo("cancelled"));

        assertNull(outcome(part, member), "post-cancel: attempt.outcome must be NULL (#355 regression)");
    }

    private String outcome(short part, UUID member) {
        return pool.preparedQuery("SELECT outcome FROM ff_attempt "
                        + "WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3")
                .execute(Tuple.of(part, member, 0)).await().indefinitely().iterator().next().getString("outcome");
    }
}
