package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.suspension.Worker.Lease;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker waits for an external system's callback: claim, create a waitpoint, suspend on it;
 * a forged token is refused and changes nothing; the real callback resumes the execution, whose
 * next claim continues the same attempt as a resume carrying the callback; then it completes.
 */
@QuarkusTest
class ExternalCallbackScenarioTest {

    @Test
    void callbackResumesTheSameAttempt() {
        Worker w = new Worker();
        Lease first = w.createAndClaim();
        String id = first.executionId();

        JsonPath wp = Worker.waitpoint(first, "callback").statusCode(201).extract().jsonPath();
        String token = wp.getString("token");
        String waitpointId = wp.getString("waitpoint_id");
        assertTrue(token.matches("^[A-Za-z0-9._-]+:[0-9a-f]{64}$"), token);

        JsonPath suspended = Worker.suspend(first, "\"reason\":\"waiting_for_callback\","
                        + "\"waitpoints\":[{\"key\":\"callback\"}],\"condition\":{\"any_of\":[\"callback\"]}")
                .statusCode(200).body("outcome", equalTo("suspended")).extract().jsonPath();
        assertEquals(waitpointId, suspended.getString("waitpoints[0].waitpoint_id"));
        assertEquals(token, suspended.getString("waitpoints[0].token"));
        JsonPath parked = Worker.execution(id);
        assertEquals("suspended", parked.getString("public_state"));
        assertEquals("waiting_for_callback", parked.getString("blocking_reason"));
        Worker.post("/v1/executions/" + id + "/renew", "{" + first.fence() + "}").statusCode(409)
                .body("kind", equalTo("stale_lease"));
        w.nothingToClaim();

        String forged = token.substring(0, token.length() - 1) + (token.endsWith("0") ? "1" : "0");
        Worker.signal(id, "{\"waitpoint_id\":\"" + waitpointId + "\",\"token\":\"" + forged
                        + "\",\"name\":\"callback\",\"payload\":{\"status\":\"forged\"}}")
                .statusCode(403).body("kind", equalTo("invalid_token"));
        assertEquals("suspended", Worker.execution(id).getString("public_state"));
        w.nothingToClaim();

        Worker.signal(id, "{\"waitpoint_id\":\"" + waitpointId + "\",\"token\":\"" + token
                        + "\",\"name\":\"callback\",\"source\":\"payments\",\"payload\":{\"status\":\"paid\"}}")
                .statusCode(202).body("outcome", equalTo("resumed"));
        assertEquals("waiting", Worker.execution(id).getString("public_state"));

        Lease resumed = w.claim();
        assertEquals(id, resumed.executionId());
        assertEquals("resume", resumed.attemptType());
        assertEquals(first.attemptIndex(), resumed.attemptIndex());
        assertTrue(resumed.epoch() > first.epoch());
        List<Map<String, Object>> signals = resumed.claim().getList("claims[0].resume_signals");
        assertEquals(1, signals.size());
        assertEquals("callback", signals.get(0).get("name"));
        assertEquals("payments", signals.get(0).get("source"));
        assertEquals(Map.of("status", "paid"), signals.get(0).get("payload"));
        assertEquals(waitpointId, signals.get(0).get("waitpoint_id"));

        Worker.complete(resumed).statusCode(200).body("public_state", equalTo("completed"))
                .body("attempt_count", equalTo(1));
        JsonPath waitpoints = io.restassured.RestAssured.given().get("/v1/executions/" + id + "/waitpoints")
                .then().statusCode(200).extract().jsonPath();
        assertEquals("closed", waitpoints.getString("waitpoints[0].state"));
        assertNull(waitpoints.get("waitpoints[0].token"));
    }
}
