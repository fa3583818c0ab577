package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.suspension.Worker.Lease;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every 4xx the suspension routes give for bad input, as problem+json with its stable kind, and
 * none of them changes the execution (it stays leased and can still suspend).
 */
@QuarkusTest
class SuspendValidationTest {

    private static final String KEYS = "\"waitpoints\":[{\"key\":\"a\"},{\"key\":\"b\"}]";

    @Test
    void conditionsThatCannotBeMetAreInvalidCondition() {
        Lease l = new Worker().createAndClaim();
        for (String condition : new String[] {
                "{\"all_of\":[\"a\",\"zzz\"]}", "{\"any_of\":[]}", "{\"all_of\":\"a\"}", "{\"all_of\":[1]}",
                "{\"all_of\":[\"a\"],\"any_of\":[\"b\"]}", "{\"count\":3,\"of\":[\"a\",\"b\"]}",
                "{\"count\":0,\"of\":[\"a\"]}", "{\"count\":1.5,\"of\":[\"a\"]}", "{\"count\":1}",
                "{\"count\":1,\"of\":[\"a\"],\"distinct\":\"people\"}", "{\"none_of\":[\"a\"]}", "{}", "[\"a\"]",
                "\"a\"", "{\"all_of\":[\"a\",\"a\"]}"}) {
            Worker.suspend(l, KEYS + ",\"condition\":" + condition).statusCode(400)
                    .contentType("application/problem+json").body("kind", equalTo("invalid_condition"));
        }
        // Counting distinct sources may ask for more sources than keys.
        Worker.suspend(l, KEYS + ",\"condition\":{\"count\":3,\"of\":[\"a\"],\"distinct\":\"sources\"}")
                .statusCode(200).body("outcome", equalTo("suspended"));
    }

    @Test
    void badSuspendBodiesAreInvalidInput() {
        Lease l = new Worker().createAndClaim();
        Map<String, String> bodies = Map.of(
                "no waitpoints", "\"reason\":\"waiting_for_signal\"",
                "empty waitpoints", "\"waitpoints\":[]",
                "duplicate key", "\"waitpoints\":[{\"key\":\"a\"},{\"key\":\"a\"}]",
                "empty key", "\"waitpoints\":[{\"key\":\"\"}]",
                "bad reason", KEYS + ",\"reason\":\"Waiting For Godot\"",
                "on_timeout alone", KEYS + ",\"on_timeout\":\"fail\"",
                "unknown on_timeout", KEYS + ",\"timeout_ms\":10,\"on_timeout\":\"explode\"",
                "zero timeout", KEYS + ",\"timeout_ms\":0",
                "unknown field", KEYS + ",\"timeout\":5",
                "wrong type", KEYS + ",\"timeout_ms\":\"soon\"");
        bodies.forEach((why, body) -> Worker.suspend(l, body).statusCode(400)
                .contentType("application/problem+json").body("kind", equalTo("invalid_input")));
        Worker.post("/v1/executions/" + l.executionId() + "/suspend", "{" + KEYS + "}").statusCode(400)
                .body("detail", equalTo("field 'lease_id' is required"));
        Worker.post("/v1/executions/" + l.executionId() + "/suspend", "{\"lease_id\":\"" + l.leaseId() + "\"," + KEYS
                + ",").statusCode(400).body("kind", equalTo("invalid_json"));
        given().contentType(ContentType.TEXT).body("suspend please").post("/v1/executions/" + l.executionId() + "/suspend")
                .then().statusCode(415).body("kind", equalTo("unsupported_media_type"));
        Worker.post("/v1/executions/nope/suspend", "{" + l.fence() + "," + KEYS + "}").statusCode(400);
        Worker.post("/v1/executions/" + l.executionId() + "/waitpoints", "{" + l.fence() + ",\"key\":\"k\",\"expires_in_ms\":-1}")
                .statusCode(400).body("kind", equalTo("invalid_input"));
        Worker.post("/v1/executions/" + l.executionId() + "/waitpoints", "{" + l.fence() + "}")
                .statusCode(400).body("detail", equalTo("field 'key' is required"));
        // None of that touched the execution.
        assertEquals("active", Worker.execution(l.executionId()).getString("public_state"));
        Worker.suspend(l, KEYS).statusCode(200).body("outcome", equalTo("suspended"));
    }

    @Test
    void waitpointListsPageAndRejectForeignCursors() {
        Lease l = new Worker().createAndClaim();
        for (String k : new String[] {"a", "b", "c"}) {
            Worker.waitpoint(l, k).statusCode(201);
        }
        String path = "/v1/executions/" + l.executionId() + "/waitpoints";
        String cursor = given().get(path + "?limit=2").then().statusCode(200).body("waitpoints.size()", equalTo(2))
                .body("waitpoints[0].key", equalTo("a")).extract().path("next_cursor");
        given().get(path + "?limit=2&cursor=" + cursor).then().statusCode(200).body("waitpoints.size()", equalTo(1))
                .body("waitpoints[0].key", equalTo("c")).body("waitpoints[0].state", equalTo("pending"))
                .body("next_cursor", equalTo(null));
        given().get(path + "?cursor=bm9wZQ").then().statusCode(400).body("kind", equalTo("invalid_cursor"));
        given().get(path + "?limit=5000").then().statusCode(400).body("kind", equalTo("invalid_input"));
        given().get("/v1/executions/" + UUID.randomUUID() + "/waitpoints").then().statusCode(404)
                .body("kind", equalTo("not_found"));
    }
}
