package dev.flowfabric.coordinator.support;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Plain HTTP calls against the running service, JSON in and out. */
public final class Api {

    private Api() {
    }

    public static RequestSpecification json() {
        return given().contentType(ContentType.JSON);
    }

    public static Response post(String path, Object body) {
        return json().body(body).post(path);
    }

    public static Response put(String path, Object body) {
        return json().body(body).put(path);
    }

    public static Response get(String path) {
        return given().get(path);
    }

    /** Asserts the status and returns the body; on a mismatch the message carries the body. */
    public static JsonPath expect(Response r, int status) {
        assertEquals(status, r.statusCode(), () -> "unexpected status; body: " + abbreviate(r.asString()));
        return r.jsonPath();
    }

    /** A body short enough for an assertion message. */
    public static String abbreviate(String body) {
        return body.length() <= 600 ? body : body.substring(0, 600) + "... (" + body.length() + " chars)";
    }

    /** {@code GET /v1/executions/{id}}, which must exist. */
    public static JsonPath view(UUID id) {
        return expect(get("/v1/executions/" + id), 200);
    }

    public static String publicState(UUID id) {
        return view(id).getString("public_state");
    }

    /** {@code GET /v1/executions/{id}/attempts}, oldest first. */
    public static JsonPath attempts(UUID id) {
        return expect(get("/v1/executions/" + id + "/attempts"), 200);
    }

    /** A lane nobody else uses, so tests never see each other's work. */
    public static String freshLane() {
        return "t-" + UUID.randomUUID().toString().substring(0, 18);
    }

    public static String freshNamespace() {
        return "ns-" + UUID.randomUUID().toString().substring(0, 18);
    }
}
