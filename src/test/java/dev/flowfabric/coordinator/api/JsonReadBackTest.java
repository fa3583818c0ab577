package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.sweep.TimeoutSweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * JSON documents read back as they went in, through every read path. An error is stored as a
 * JSON object (api.md §1.3 last_error {message, category}; attempt error), not as a JSON string
 * holding its text; and input may be any JSON value. The list endpoint reads through the entity
 * model, which answered 500 for both (found by ReplicasIT).
 */
@QuarkusTest
class JsonReadBackTest {

    @Inject
    TimeoutSweep timeouts;

    @Test
    void aFailureReadsBackAsAnObjectEverywhere() {
        String lane = "error-" + UUID.randomUUID().toString().substring(0, 8);
        String id = create(lane, "");
        JsonPath claim = given().contentType(ContentType.JSON).body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\"}")
                .post("/v1/lanes/" + lane + "/claim").then().statusCode(200).extract().jsonPath();
        given().contentType(ContentType.JSON).body("{\"lease_id\":\"" + claim.getString("claims[0].lease_id")
                        + "\",\"lease_epoch\":" + claim.getLong("claims[0].lease_epoch")
                        + ",\"error\":{\"message\":\"no\",\"category\":\"permanent\"}}")
                .post("/v1/executions/" + id + "/fail").then().statusCode(200);

        given().get("/v1/executions/" + id).then().statusCode(200)
                .body("last_error.message", equalTo("no")).body("last_error.category", equalTo("permanent"));
        given().get("/v1/executions?lane=" + lane).then().statusCode(200)
                .body("executions[0].last_error.category", equalTo("permanent"));
        given().get("/v1/executions/" + id + "/attempts").then().statusCode(200)
                .body("attempts[0].error.message", equalTo("no"));
    }

    @Test
    void aDeadlineExpiryReadsBackAsAnObject() {
        String lane = "error-" + UUID.randomUUID().toString().substring(0, 8);
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(10).toMillis();
        String id = create(lane, ",\"deadline_at_ms\":" + deadline);
        timeouts.sweepOnce(deadline + 1).await().atMost(Duration.ofSeconds(10));
        given().get("/v1/executions?lane=" + lane).then().statusCode(200)
                .body("executions[0].public_state", equalTo("expired"))
                .body("executions[0].last_error.category", equalTo("timeout"));
        given().get("/v1/executions/" + id).then().statusCode(200).body("last_error.category", equalTo("timeout"));
    }

    @Test
    void anyJsonInputIsListed() throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (String input : new String[] {"42", "\"text\"", "[1,2]", "true", "{\"a\":{\"b\":null}}"}) {
            String lane = "input-" + UUID.randomUUID().toString().substring(0, 8);
            String id = create(lane, ",\"input\":" + input);
            JsonNode listed = json.readTree(given().get("/v1/executions?lane=" + lane).then().statusCode(200)
                    .extract().asString()).path("executions").path(0).path("input");
            JsonNode one = json.readTree(given().get("/v1/executions/" + id).then().statusCode(200)
                    .extract().asString()).path("input");
            assertEquals(json.readTree(input), listed, input);
            assertEquals(json.readTree(input), one, input);
        }
    }

    private static String create(String lane, String extra) {
        return given().contentType(ContentType.JSON).body("{\"lane\":\"" + lane + "\",\"kind\":\"k\"" + extra + "}")
                .post("/v1/executions").then().statusCode(201).extract().path("execution_id");
    }
}
