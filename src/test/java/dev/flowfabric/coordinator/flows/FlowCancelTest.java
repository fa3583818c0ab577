package dev.flowfabric.coordinator.flows;

import dev.flowfabric.coordinator.domain.FlowCancelPolicy;
import dev.flowfabric.coordinator.flows.Flows.Lease;
import dev.flowfabric.coordinator.service.FlowCancels;
import dev.flowfabric.coordinator.sweep.FlowRepairSweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static dev.flowfabric.coordinator.flows.Flows.*;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** cancel_flow: each policy with and without wait, the durable backlog, and repeats (api.md §3). */
@QuarkusTest
class FlowCancelTest {

    @Inject
    Pool pool;

    @Inject
    FlowCancels cancels;

    @Inject
    FlowRepairSweep sweep;

    /** A flow of four members: one leased by a worker, one waiting, one gated behind it, one done. */
    record Shape(String flow, Lease leased, String waiting, String gated, String done) { }

    private Shape shape() {
        String lane = lane();
        String doneLane = lane();
        JsonPath f = createFlow("{\"kind\":\"cancel\",\"nodes\":[" + node("run", lane) + "," + node("gated", lane)
                + "," + node("done", doneLane) + "],\"edges\":[" + edge("run", "gated") + "]}");
        String flow = f.getString("flow_id");
        complete(claim(doneLane, 1).get(0)).statusCode(200);
        Lease leased = claimAll(lane).get(f.getString("nodes.run"));
        String waiting = post("/v1/executions", "{\"lane\":\"" + lane() + "\",\"kind\":\"k\",\"flow_id\":\"" + flow
                + "\"}").statusCode(201).extract().path("execution_id");
        return new Shape(flow, leased, waiting, f.getString("nodes.gated"), f.getString("nodes.done"));
    }

    private String attemptOutcome(String executionId) {
        return pool.preparedQuery("SELECT outcome FROM ff_attempt WHERE execution_id = $1 ORDER BY attempt_index DESC"
                + " LIMIT 1").execute(Tuple.of(UUID.fromString(executionId))).await().indefinitely().iterator().next()
                .getString("outcome");
    }

    @Test
    void cancelAllWithoutWaitCancelsEveryLiveMemberAndEndsTheLease() {
        cancelAll(false);
    }

    @Test
    void cancelAllWithWaitCancelsEveryLiveMemberAndEndsTheLease() {
        cancelAll(true);
    }

    private void cancelAll(boolean wait) {
        Shape s = shape();
        post("/v1/flows/" + s.flow() + "/cancel" + (wait ? "?wait=true" : ""),
                "{\"policy\":\"cancel_all\",\"reason\":\"stop\"}").statusCode(200)
                .body("outcome", equalTo("cancelled")).body("policy", equalTo("cancel_all"))
                .body("member_execution_ids", containsInAnyOrder(s.leased().executionId(), s.waiting(), s.gated()))
                .body("failed_member_execution_ids", nullValue());
        assertEquals("cancelled", state(s.leased().executionId()));
        assertEquals("cancelled", state(s.waiting()));
        assertEquals("cancelled", state(s.gated()));
        assertEquals("completed", state(s.done()));
        assertNull(attemptOutcome(s.leased().executionId()), "a flow cancel clears the member's attempt outcome");
        complete(s.leased()).statusCode(409).body("kind", equalTo("execution_not_active"))
                .body("terminal_outcome", equalTo("cancelled"));
        get("/v1/executions/" + s.leased().executionId()).statusCode(200).body("current_lease", nullValue());
        assertEquals("cancelled", flowState(s.flow()));
        assertEquals(1, events(pool, "flow.cancelled", s.flow()));
        // A repeat (even with another policy) answers what the first cancel did.
        post("/v1/flows/" + s.flow() + "/cancel", "{\"policy\":\"cancel_flow_only\"}").statusCode(200)
                .body("outcome", equalTo("cancelled")).body("policy", equalTo("cancel_all"))
                .body("member_execution_ids", containsInAnyOrder(s.leased().executionId(), s.waiting(), s.gated()));
        assertEquals(1, events(pool, "flow.cancelled", s.flow()));
    }

    @Test
    void cancelPendingWithoutWaitLetsLeasedMembersRunOn() {
        cancelPending(false);
    }

    @Test
    void cancelPendingWithWaitLetsLeasedMembersRunOn() {
        cancelPending(true);
    }

    private void cancelPending(boolean wait) {
        Shape s = shape();
        post("/v1/flows/" + s.flow() + "/cancel" + (wait ? "?wait=true" : ""), "{\"policy\":\"cancel_pending\"}")
                .statusCode(200).body("outcome", equalTo("cancelled")).body("policy", equalTo("cancel_pending"))
                .body("member_execution_ids", containsInAnyOrder(s.waiting(), s.gated()));
        assertEquals("active", state(s.leased().executionId()));
        assertEquals("cancelled", state(s.waiting()));
        assertEquals("cancelled", state(s.gated()));
        complete(s.leased()).statusCode(200);
        assertEquals("cancelled", flowState(s.flow()), "a cancelled flow stays cancelled");
    }

    @Test
    void cancelFlowOnlyWithoutWaitCancelsNoMember() {
        cancelFlowOnly(false);
    }

    @Test
    void cancelFlowOnlyWithWaitCancelsNoMember() {
        cancelFlowOnly(true);
    }

    private void cancelFlowOnly(boolean wait) {
        Shape s = shape();
        post("/v1/flows/" + s.flow() + "/cancel" + (wait ? "?wait=true" : ""), "{\"policy\":\"cancel_flow_only\"}")
                .statusCode(200).body("outcome", equalTo("cancelled")).body("member_execution_ids.size()", equalTo(0));
        assertEquals("cancelled", flowState(s.flow()));
        assertEquals("waiting", state(s.waiting()));
        complete(s.leased()).statusCode(200);
        assertEquals("waiting", state(s.gated()), "the graph still resolves");
        post("/v1/executions", "{\"lane\":\"" + lane() + "\",\"kind\":\"k\",\"flow_id\":\"" + s.flow() + "\"}")
                .statusCode(409).body("kind", equalTo("flow_already_terminal"));
    }

    @Test
    void aWaitThatRunsOutNamesTheMembersStillOwedAndTheBacklogFinishesThem() throws Exception {
        Shape s = shape();
        try (AutoCloseable busy = hold(pool, s.waiting())) {
            post("/v1/flows/" + s.flow() + "/cancel?wait=true", "{\"policy\":\"cancel_all\"}").statusCode(200)
                    .body("outcome", equalTo("partially_cancelled"))
                    .body("failed_member_execution_ids", equalTo(List.of(s.waiting())))
                    .body("member_execution_ids", containsInAnyOrder(s.leased().executionId(), s.waiting(),
                            s.gated()));
            assertEquals("cancelled", state(s.gated()));
        }
        sweep.sweepOnce(System.currentTimeMillis()).await().indefinitely();
        // The sweep, or a drain that held the row while it looked, has cancelled it by now or shortly.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals("cancelled", state(s.waiting())));
        post("/v1/flows/" + s.flow() + "/cancel", "{\"policy\":\"cancel_all\"}").statusCode(200)
                .body("outcome", equalTo("cancelled"));
    }

    @Test
    void withoutWaitABusyMemberIsScheduled() throws Exception {
        Shape s = shape();
        try (AutoCloseable busy = hold(pool, s.waiting())) {
            post("/v1/flows/" + s.flow() + "/cancel", "{\"policy\":\"cancel_all\"}").statusCode(200)
                    .body("outcome", equalTo("cancellation_scheduled"))
                    .body("failed_member_execution_ids", nullValue());
            assertEquals("cancelled", state(s.leased().executionId()));
        }
        sweep.sweepOnce(System.currentTimeMillis()).await().indefinitely();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals("cancelled", state(s.waiting())));
        post("/v1/flows/" + s.flow() + "/cancel?wait=true", "{\"policy\":\"cancel_all\"}").statusCode(200)
                .body("outcome", equalTo("cancelled"));
    }

    @Test
    void aCrashBetweenTheFlipAndTheMemberCancelsIsRepairedByTheSweep() {
        Shape s = shape();
        // The first step commits, then the replica dies before draining anything.
        cancels.record(UUID.fromString(s.flow()), FlowCancelPolicy.CANCEL_ALL, "crash", System.currentTimeMillis())
                .await().indefinitely();
        assertEquals("cancelled", flowState(s.flow()));
        assertEquals("active", state(s.leased().executionId()));
        assertEquals("waiting", state(s.waiting()));

        sweep.sweepOnce(System.currentTimeMillis()).await().indefinitely();
        for (String member : Set.of(s.leased().executionId(), s.waiting(), s.gated())) {
            get("/v1/executions/" + member).statusCode(200).body("public_state", equalTo("cancelled"));
        }
        assertNull(attemptOutcome(s.leased().executionId()));
        complete(s.leased()).statusCode(409).body("kind", equalTo("execution_not_active"));
        post("/v1/flows/" + s.flow() + "/cancel", "{\"policy\":\"cancel_all\"}").statusCode(200)
                .body("outcome", equalTo("cancelled"))
                .body("member_execution_ids", containsInAnyOrder(s.leased().executionId(), s.waiting(), s.gated()));
    }
}
