package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input gets RFC 9457 problem+json with a stable kind (api.md §0.1), never a 500, and never a
 * half-written row.
 */
@QuarkusTest
class ProblemJsonTest {

    private static Response postRaw(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post(path);
    }

    private static String createBody(String lane, String extra) {
        return "{\"lane\":\"" + lane + "\",\"kind\":\"k\"" + extra + "}";
    }

    /** The lane stayed empty: the refused request wrote nothing. */
    private static void nothingWritten(String lane) {
        assertEquals(List.of(), Api.expect(Api.get("/v1/executions?lane=" + lane), 200).getList("executions"));
    }

    @Test
    void malformedJsonIsInvalidJson() {
        String lane = Api.freshLane();
        for (String body : List.of("{", "{\"lane\":", "{\"lane\":\"" + lane + "\",}", "not json", createBody(lane, "") + "}", createBody(lane, "") + " {}",
                "{'lane':'x'}")) {
            assertProblem(postRaw("/v1/executions", body), 400, "invalid_json");
        }
        assertProblem(postRaw("/v1/lanes/" + lane + "/claim", "{\"worker_id\":"), 400, "invalid_json");
        nothingWritten(lane);
    }

    @Test
    void unknownFieldsAreInvalidInputAndNamed() {
        String lane = Api.freshLane();
        JsonPath top = assertProblem(postRaw("/v1/executions", createBody(lane, ",\"priorty\":5")), 400, "invalid_input");
        assertTrue(top.getString("detail").contains("priorty"), top.getString("detail"));
        JsonPath nested = assertProblem(postRaw("/v1/executions", createBody(lane,
                ",\"retry_policy\":{\"max_retries\":1,\"backoff\":{\"type\":\"fixed\",\"inital_ms\":5}}")), 400,
                "invalid_input");
        assertTrue(nested.getString("detail").contains("inital_ms"), nested.getString("detail"));
        assertProblem(postRaw("/v1/executions/batch", "{\"executions\":[" + createBody(lane, ",\"x\":1") + "]}"),
                400, "invalid_input");
        assertProblem(Api.post("/v1/lanes/" + lane + "/claim", Claim.on(lane).with("wait", 10).body()),
                400, "invalid_input");
        nothingWritten(lane);
    }

    @Test
    void wrongTypesAreInvalidInput() {
        String lane = Api.freshLane();
        for (String extra : List.of(",\"priority\":\"5\"", ",\"priority\":5.5", ",\"priority\":1e3",
                ",\"priority\":true", ",\"priority\":99999999999", ",\"idempotency_key\":42",
                ",\"idempotency_key\":1.5", ",\"idempotency_key\":false", ",\"tags\":[\"a\"]",
                ",\"tags\":{\"a\":1}", ",\"required_capabilities\":\"gpu\"", ",\"delay_until_ms\":\"soon\"",
                ",\"retry_policy\":{\"max_retries\":\"3\"}", ",\"retry_policy\":{\"max_retries\":2.5}",
                ",\"retry_policy\":{\"backoff\":{\"jitter\":1}}")) {
            assertProblem(postRaw("/v1/executions", createBody(lane, extra)), 400, "invalid_input");
        }
        assertProblem(postRaw("/v1/executions", "{\"lane\":5,\"kind\":\"k\"}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", "[]"), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", "\"a string\""), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", "null"), 400, "invalid_input");
        assertProblem(postRaw("/v1/lanes/" + lane + "/claim",
                "{\"worker_id\":\"w\",\"worker_instance_id\":\"w1\",\"max\":\"2\"}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/lanes/" + lane + "/claim",
                "{\"worker_id\":7,\"worker_instance_id\":\"w1\"}"), 400, "invalid_input");
        nothingWritten(lane);
    }

    @Test
    void missingRequiredFieldsAreInvalidInput() {
        String lane = Api.freshLane();
        assertProblem(postRaw("/v1/executions", "{\"kind\":\"k\"}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", "{\"lane\":\"" + lane + "\"}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", "{}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions/batch", "{}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/lanes/" + lane + "/claim", "{\"worker_id\":\"w\"}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/lanes/" + lane + "/claim", "{}"), 400, "invalid_input");
        assertProblem(given().contentType(ContentType.JSON).body("{}").put("/v1/executions/" + UUID.randomUUID()
                + "/priority"), 400, "invalid_input");
        nothingWritten(lane);
    }

    @Test
    void badUuidsInBodyAndPathAreInvalidInput() {
        String lane = Api.freshLane();
        assertProblem(postRaw("/v1/executions", createBody(lane, ",\"execution_id\":\"not-a-uuid\"")), 400,
                "invalid_input");
        assertProblem(postRaw("/v1/executions", createBody(lane, ",\"execution_id\":123")), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", createBody(lane, ",\"budget_ids\":[\"nope\"]")), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", createBody(lane, ",\"flow_id\":\"1234\"")), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions/" + UUID.randomUUID() + "/complete",
                "{\"lease_id\":\"zzz\",\"lease_epoch\":1}"), 400, "invalid_input");
        assertProblem(Api.get("/v1/executions/not-a-uuid"), 400, "invalid_input");
        assertProblem(Api.get("/v1/executions/not-a-uuid/attempts"), 400, "invalid_input");
        assertProblem(Api.get("/v1/executions?flow_id=bad"), 400, "invalid_input");
        for (String verb : List.of("renew", "progress", "complete", "fail", "delay", "cancel", "replay",
                "revoke-lease")) {
            assertProblem(postRaw("/v1/executions/12345/" + verb, "{}"), 400, "invalid_input");
        }
        nothingWritten(lane);
    }

    @Test
    void outOfRangeValuesAreInvalidInput() {
        String lane = Api.freshLane();
        for (String extra : List.of(",\"priority\":-1", ",\"priority\":9001", ",\"attempt_timeout_ms\":0",
                ",\"delay_until_ms\":-5", ",\"deadline_at_ms\":-1", ",\"delay_until_ms\":99999999999999",
                ",\"namespace\":\"\"", ",\"idempotency_key\":\"\"")) {
            assertProblem(postRaw("/v1/executions", createBody(lane, extra)), 400, "invalid_input");
        }
        assertProblem(postRaw("/v1/executions", "{\"lane\":\"bad lane\",\"kind\":\"k\"}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", "{\"lane\":\"" + "x".repeat(65) + "\",\"kind\":\"k\"}"), 400,
                "invalid_input");
        assertProblem(postRaw("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"\"}"), 400, "invalid_input");
        assertProblem(postRaw("/v1/executions", "{\"lane\":\"" + lane + "\",\"kind\":\"" + "k".repeat(129) + "\"}"),
                400, "invalid_input");
        assertProblem(Api.post("/v1/executions", NewExecution.on(lane).requires("with space").body()), 400,
                "invalid_capabilities");
        assertProblem(Api.get("/v1/executions?limit=0"), 400, "invalid_input");
        assertProblem(Api.get("/v1/executions?limit=1001"), 400, "invalid_input");
        assertProblem(Api.get("/v1/executions?limit=ten"), 400, "invalid_input");
        assertProblem(Api.get("/v1/executions?public_state=running"), 400, "invalid_input");
        nothingWritten(lane);
    }

    @Test
    void bodyOverTheRouteCapIs413WithTheLimit() {
        String lane = Api.freshLane();
        String big = "x".repeat(70 * 1024);
        // 64 KiB routes: the claim, the fenced calls.
        JsonPath claim = assertProblem(postRaw("/v1/lanes/" + lane + "/claim",
                "{\"worker_id\":\"" + big + "\",\"worker_instance_id\":\"w\"}"), 413, "payload_too_large");
        assertEquals(64 * 1024, claim.getInt("limit_bytes"));
        JsonPath renew = assertProblem(postRaw("/v1/executions/" + UUID.randomUUID() + "/renew",
                "{\"pad\":\"" + big + "\"}"), 413, "payload_too_large");
        assertEquals(64 * 1024, renew.getInt("limit_bytes"));

        // 1 MiB routes: creates, batches, batch complete.
        String huge = "x".repeat(1024 * 1024 + 10);
        for (String path : List.of("/v1/executions", "/v1/executions/batch", "/v1/executions/complete")) {
            JsonPath p = assertProblem(postRaw(path, "{\"input\":\"" + huge + "\"}"), 413, "payload_too_large");
            assertEquals(1024 * 1024, p.getInt("limit_bytes"), path);
        }
        // Under the cap is fine: a 900 KiB input.
        Api.expect(Api.post("/v1/executions", NewExecution.on(lane).input("y".repeat(900 * 1024)).body()), 201);
    }

    /** Posts {@code body} chunked: an InputStream publisher has no length, so no Content-Length is sent. */
    private static HttpResponse<String> postChunked(String path, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build();
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static void assertTooLarge(HttpResponse<String> r, long limit) {
        assertEquals(413, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
                r.headers().toString());
        JsonPath p = JsonPath.from(r.body());
        assertEquals("payload_too_large", p.getString("kind"));
        assertEquals(limit, p.getLong("limit_bytes"));
    }

    @Test
    void chunkedBodyOverOneMebibyteIs413() throws Exception {
        String lane = Api.freshLane();
        assertTooLarge(postChunked("/v1/executions",
                createBody(lane, ",\"input\":\"" + "x".repeat(1100 * 1024) + "\"")), 1024 * 1024);
        nothingWritten(lane);
    }

    @Test
    void chunkedBodyOverTheRouteCapIs413AndUnderItIsServed() throws Exception {
        String lane = Api.freshLane();
        assertTooLarge(postChunked("/v1/lanes/" + lane + "/claim",
                "{\"worker_id\":\"" + "w".repeat(70 * 1024) + "\",\"worker_instance_id\":\"w\"}"), 64 * 1024);
        assertEquals(201, postChunked("/v1/executions", createBody(lane, "")).statusCode());
        assertEquals(200, postChunked("/v1/lanes/" + lane + "/claim",
                "{\"worker_id\":\"w\",\"worker_instance_id\":\"w\"}").statusCode());
    }

    @Test
    void wrongContentTypeIs415() {
        String lane = Api.freshLane();
        String body = createBody(lane, "");
        assertProblem(given().contentType(ContentType.TEXT).body(body).post("/v1/executions"), 415,
                "unsupported_media_type");
        assertProblem(given().contentType(ContentType.XML).body("<a/>").post("/v1/executions"), 415,
                "unsupported_media_type");
        assertProblem(given().contentType("application/x-www-form-urlencoded").body("lane=x").post("/v1/executions"),
                415, "unsupported_media_type");
        assertProblem(given().body(body.getBytes(StandardCharsets.UTF_8)).contentType("").post("/v1/executions"),
                415, "unsupported_media_type");
        assertProblem(given().contentType(ContentType.TEXT).body("{}").post("/v1/lanes/" + lane + "/claim"), 415,
                "unsupported_media_type");
        nothingWritten(lane);
    }

    @Test
    void jsonWithCharsetIsFine() {
        String lane = Api.freshLane();
        Api.expect(given().contentType("application/json; charset=utf-8").body(createBody(lane, ""))
                .post("/v1/executions"), 201);
    }

    @Test
    void unknownRoutesAre404Problems() {
        assertProblem(Api.get("/v1/nothing-here"), 404, "not_found");
        assertProblem(Api.get("/v2/executions"), 404, "not_found");
        assertProblem(Api.get("/nothing-here"), 404, "not_found");
        assertProblem(postRaw("/v1/lanes/some-lane/claim/extra", "{}"), 404, "not_found");
        assertProblem(postRaw("/v1/executions/" + UUID.randomUUID() + "/explode", "{}"), 404, "not_found");
        assertProblem(Api.get("/v1/executions/" + UUID.randomUUID()), 404, "not_found");
        assertProblem(Api.get("/v1/executions/" + UUID.randomUUID() + "/attempts"), 404, "not_found");
    }

    /** What {@code curl -X POST url} sends: no body, no Content-Type. */
    private static int postNothing(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + path))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void postsWithoutContractFieldsAcceptAnEmptyBody() throws Exception {
        String lane = Api.freshLane();
        UUID first = NewExecution.on(lane).create();
        UUID second = NewExecution.on(lane).create();
        UUID third = NewExecution.on(lane).create();

        // No body and no Content-Type at all.
        assertEquals(200, postNothing("/v1/executions/" + first + "/cancel"));
        assertEquals(200, postNothing("/v1/executions/" + first + "/replay"));
        assertEquals("waiting", Api.publicState(first));
        // An empty body declared as JSON.
        assertEquals("cancelled", Api.expect(given().contentType(ContentType.JSON).body("")
                .post("/v1/executions/" + second + "/cancel"), 200).getString("public_state"));
        // An empty body labelled as a form, as RestAssured does for a body-less POST.
        assertEquals("cancelled", Api.expect(given().post("/v1/executions/" + third + "/cancel"), 200)
                .getString("public_state"));
        // And {}.
        Lease lease = Claim.on(lane).one();
        assertEquals("waiting", Api.expect(Api.post("/v1/executions/" + lease.executionId() + "/revoke-lease",
                Map.of()), 200).getString("public_state"));
    }

    @Test
    void wrongMethodIsAProblemToo() {
        Response r = given().delete("/v1/executions");
        assertEquals(405, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
    }
}
