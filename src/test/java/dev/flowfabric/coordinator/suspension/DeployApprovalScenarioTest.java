package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.suspension.Worker.Lease;
import dev.flowfabric.coordinator.sweep.SuspensionSweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A deploy step waits for two distinct approvers: the same approver twice does not resume it,
 * a second approver does. Another deploy nobody approves in time fails when its suspension times
 * out (the sweep run with a chosen clock).
 */
@QuarkusTest
class DeployApprovalScenarioTest {

    private static final String APPROVAL = "\"reason\":\"waiting_for_approval\",\"waitpoints\":[{\"key\":\"approval\"}],"
            + "\"condition\":{\"count\":2,\"of\":[\"approval\"],\"distinct\":\"sources\"}";

    @Inject
    SuspensionSweep sweep;

    @Test
    void twoDistinctApproversResumeTheDeploy() {
        Worker w = new Worker();
        Lease deploy = w.createAndClaim();
        String id = deploy.executionId();
        String token = Worker.suspend(deploy, APPROVAL + ",\"timeout_ms\":3600000,\"on_timeout\":\"fail\"")
                .statusCode(200).body("outcome", equalTo("suspended")).extract().path("waitpoints[0].token");

        Worker.signalKey(id, "approval", token, "approve", "alice").statusCode(202).body("outcome", equalTo("accepted"));
        Worker.signalKey(id, "approval", token, "approve", "alice").statusCode(202).body("outcome", equalTo("accepted"));
        assertEquals("suspended", Worker.execution(id).getString("public_state"));
        w.nothingToClaim();

        Worker.signalKey(id, "approval", token, "approve", "bob").statusCode(202).body("outcome", equalTo("resumed"));
        Lease resumed = w.claim();
        assertEquals("resume", resumed.attemptType());
        assertEquals(List.of("alice", "alice", "bob"), resumed.claim().getList("claims[0].resume_signals.source"));
        Worker.complete(resumed).statusCode(200).body("public_state", equalTo("completed"));
    }

    @Test
    void unapprovedDeployFailsAtTimeout() {
        Worker w = new Worker();
        Lease deploy = w.createAndClaim();
        String id = deploy.executionId();
        long before = System.currentTimeMillis();
        String token = Worker.suspend(deploy, APPROVAL + ",\"timeout_ms\":600000,\"on_timeout\":\"fail\"")
                .statusCode(200).extract().path("waitpoints[0].token");
        Worker.signalKey(id, "approval", token, "approve", "alice").statusCode(202);

        sweep.sweepOnce(before + 590_000).await().indefinitely();
        assertEquals("suspended", Worker.execution(id).getString("public_state"));

        sweep.sweepOnce(System.currentTimeMillis() + 600_001).await().indefinitely();
        JsonPath failed = Worker.execution(id);
        assertEquals("failed", failed.getString("public_state"));
        assertEquals("timeout", failed.getString("last_error.category"));
        assertEquals("failed", RestAssured.given().get("/v1/executions/" + id + "/attempts").then().statusCode(200)
                .extract().path("attempts[0].outcome"));
        assertEquals("expired", RestAssured.given().get("/v1/executions/" + id + "/waitpoints").then().statusCode(200)
                .extract().path("waitpoints[0].state"));
        Worker.signalKey(id, "approval", token, "approve", "bob").statusCode(409)
                .body("kind", equalTo("waitpoint_closed"));
        Worker.complete(deploy).statusCode(409).body("kind", equalTo("execution_not_active"))
                .body("terminal_outcome", equalTo("failed"));
    }
}
