package dev.flowfabric.coordinator.flows;

import dev.flowfabric.coordinator.sweep.FlowRepairSweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static dev.flowfabric.coordinator.flows.Flows.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The repair sweep finishes what resolution did not: an upstream ended by a write that ran no
 * hook (a crash, a direct insert) leaves its edges pending, and gated members whose join is
 * decided stay gated until the sweep applies it.
 */
@QuarkusTest
class FlowRepairTest {

    @Inject
    Pool pool;

    @Inject
    FlowRepairSweep sweep;

    @Test
    void pendingEdgesOfAnEndedUpstreamAreResolvedAndTheSkipPropagates() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"repair\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "," + node("d", lane) + "],\"edges\":[" + edge("a", "b") + "," + edge("c", "d")
                + "]}");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), c = f.getString("nodes.c"),
                d = f.getString("nodes.d");
        endWithoutHooks(a, "success");
        endWithoutHooks(c, "failed");
        assertEquals("waiting_children", state(b));
        assertEquals("waiting_children", state(d));

        sweep.sweepOnce(System.currentTimeMillis()).await().indefinitely();
        assertEquals("waiting", state(b));
        assertEquals("skipped", state(d));
        assertEquals("satisfied", edgeState(f.getString("flow_id"), a, b));
        assertEquals("impossible", edgeState(f.getString("flow_id"), c, d));
    }

    @Test
    void aGatedMemberWhoseEdgesAreAllResolvedIsReleased() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"repair\",\"nodes\":[" + node("a", lane) + "," + node("b", lane)
                + "],\"edges\":[" + edge("a", "b") + "]}");
        String flow = f.getString("flow_id"), a = f.getString("nodes.a"), b = f.getString("nodes.b");
        complete(claimAll(lane).get(a)).statusCode(200);
        // As if the release had been lost: the edge is satisfied but the member still waits.
        exec(pool, "UPDATE ff_exec_core SET eligibility_state = 'blocked_by_dependencies' WHERE execution_id = $1",
                UUID.fromString(b));
        assertEquals("waiting_children", state(b));
        sweep.sweepOnce(System.currentTimeMillis()).await().indefinitely();
        assertEquals("waiting", state(b));
        complete(claimAll(lane).get(b)).statusCode(200);
        assertEquals("completed", flowState(flow));
    }

    private void endWithoutHooks(String executionId, String outcome) {
        exec(pool, "UPDATE ff_exec_core SET lifecycle_phase = 'terminal', eligibility_state = 'not_applicable', "
                + "attempt_state = 'attempt_terminal', terminal_outcome = $2, terminal_at_ms = $3 "
                + "WHERE execution_id = $1", UUID.fromString(executionId), outcome, System.currentTimeMillis());
    }
}
