package dev.flowfabric.coordinator.suspension;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;

import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** HTTP steps of the suspension and stream tests: a worker on a fresh lane, an external caller. */
final class Worker {

    final String lane = "susp-" + UUID.randomUUID().toString().substring(0, 8);

    /** A claimed execution and the fence its holder presents. */
    record Lease(String executionId, String leaseId, long epoch, int attemptIndex, String attemptType,
                 JsonPath claim) {
        String fence() {
            return "\"lease_id\":\"" + leaseId + "\",\"lease_epoch\":" + epoch;
        }
    }

    String create() {
        return given().contentType(ContentType.JSON)
                .body("{\"lane\":\"" + lane + "\",\"kind\":\"k\",\"input\":{\"n\":1}}")
                .post("/v1/executions").then().statusCode(201).extract().path("execution_id");
    }

    Lease claim() {
        return claim(0);
    }

    Lease claim(long waitMs) {
        JsonPath c = given().contentType(ContentType.JSON)
                .body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\",\"wait_ms\":" + waitMs + "}")
                .post("/v1/lanes/" + lane + "/claim").then().statusCode(200).extract().jsonPath();
        return new Lease(c.getString("claims[0].execution_id"), c.getString("claims[0].lease_id"),
                c.getLong("claims[0].lease_epoch"), c.getInt("claims[0].attempt_index"),
                c.getString("claims[0].attempt_type"), c);
    }

    void nothingToClaim() {
        given().contentType(ContentType.JSON).body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\"}")
                .post("/v1/lanes/" + lane + "/claim").then().statusCode(204);
    }

    Lease createAndClaim() {
        create();
        return claim();
    }

    static ValidatableResponse post(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post(path).then();
    }

    static ValidatableResponse suspend(Lease l, String rest) {
        return post("/v1/executions/" + l.executionId() + "/suspend", "{" + l.fence() + "," + rest + "}");
    }

    static ValidatableResponse waitpoint(Lease l, String key) {
        return post("/v1/executions/" + l.executionId() + "/waitpoints", "{" + l.fence() + ",\"key\":\"" + key + "\"}");
    }

    static ValidatableResponse signal(String executionId, String body) {
        return post("/v1/executions/" + executionId + "/signals", body);
    }

    static ValidatableResponse signalKey(String executionId, String key, String token, String name, String source) {
        return signal(executionId, "{\"key\":\"" + key + "\",\"token\":\"" + token + "\",\"name\":\"" + name + "\""
                + (source == null ? "" : ",\"source\":\"" + source + "\"") + "}");
    }

    static JsonPath execution(String id) {
        return given().get("/v1/executions/" + id).then().statusCode(200).extract().jsonPath();
    }

    static ValidatableResponse complete(Lease l) {
        return post("/v1/executions/" + l.executionId() + "/complete", "{" + l.fence() + ",\"result\":{\"ok\":true}}");
    }

    static ValidatableResponse frame(Lease l, String type, String payload, String mode) {
        return post("/v1/executions/" + l.executionId() + "/attempts/" + l.attemptIndex() + "/frames",
                "{" + l.fence() + ",\"frame_type\":\"" + type + "\",\"payload\":" + payload
                        + (mode == null ? "" : ",\"mode\":\"" + mode + "\"") + "}");
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
