package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.suspension.Worker.Lease;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Frames, summaries, trimming, the fence on appends and the tail cap (api.md §5). */
@QuarkusTest
class StreamTest {

    @Test
    void summaryFramesAreJsonMergePatches() {
        Lease l = new Worker().createAndClaim();
        String summary = "/v1/executions/" + l.executionId() + "/summary";
        given().get(summary).then().statusCode(200).body("document", nullValue()).body("version", equalTo(0));

        Worker.frame(l, "s", "{\"a\":{\"b\":1,\"c\":2},\"d\":[1,2],\"e\":\"x\"}", "summary").statusCode(201)
                .body("summary_version", equalTo(1));
        Worker.frame(l, "s", "{\"a\":{\"b\":null,\"z\":{\"q\":true}},\"d\":[3],\"e\":null,\"n\":null}", "summary")
                .statusCode(201).body("summary_version", equalTo(2));
        JsonPath doc = given().get(summary).then().statusCode(200).body("version", equalTo(2))
                .body("updated_at_ms", notNullValue()).extract().jsonPath();
        assertEquals(Map.of("a", Map.of("c", 2, "z", Map.of("q", true)), "d", List.of(3)), doc.getMap("document"));

        // A patch that is not an object replaces the document (RFC 7386).
        Worker.frame(l, "s", "[\"whole\"]", "summary").statusCode(201).body("summary_version", equalTo(3));
        assertEquals(List.of("whole"), given().get(summary).then().extract().jsonPath().getList("document"));
        // Durable frames do not touch the summary, and report no version.
        Worker.frame(l, "log", "\"line\"", null).statusCode(201).body("seq", equalTo(4))
                .body("summary_version", nullValue());
        given().get(summary + "?attempt=0").then().statusCode(200).body("version", equalTo(3));
        given().get(summary + "?attempt=7").then().statusCode(404).body("kind", equalTo("not_found"));
    }

    @Test
    void bestEffortFramesAreTrimmedDurableOnesNever() {
        Lease l = new Worker().createAndClaim();
        for (int i = 0; i < 40; i++) {
            Worker.frame(l, "token", "{\"i\":" + i + "}", "best_effort").statusCode(201);
            if (i % 10 == 0) {
                Worker.frame(l, "step", "{\"i\":" + i + "}", "durable").statusCode(201);
            }
        }
        JsonPath page = given().get("/v1/executions/" + l.executionId() + "/attempts/0/frames?limit=1000")
                .then().statusCode(200).body("closed", equalTo(false)).extract().jsonPath();
        List<String> modes = page.getList("frames.mode");
        long bestEffort = modes.stream().filter("best_effort"::equals).count();
        assertEquals(4, modes.stream().filter("durable"::equals).count());
        assertTrue(bestEffort >= 16 && bestEffort <= 18, "kept " + bestEffort + " best-effort frames");
        List<Integer> seqs = page.getList("frames.seq");
        assertEquals(44, seqs.get(seqs.size() - 1));
        assertEquals(seqs.stream().sorted().toList(), seqs);
        assertEquals(39, page.getInt("frames[-1].payload.i"));
    }

    @Test
    void appendsAreFenced() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String path = "/v1/executions/" + l.executionId() + "/attempts/";
        Worker.post(path + "0/frames", "{\"lease_id\":\"" + l.leaseId() + "\",\"lease_epoch\":" + (l.epoch() + 5)
                + ",\"frame_type\":\"x\",\"payload\":1}").statusCode(409).body("kind", equalTo("stale_lease"));
        Worker.post(path + "0/frames", "{\"lease_id\":\"" + UUID.randomUUID() + "\",\"lease_epoch\":1"
                + ",\"frame_type\":\"x\",\"payload\":1}").statusCode(409).body("kind", equalTo("stale_lease"));
        Worker.post(path + "3/frames", "{" + l.fence() + ",\"frame_type\":\"x\",\"payload\":1}").statusCode(404)
                .body("entity", equalTo("attempt"));
        Worker.post("/v1/executions/" + UUID.randomUUID() + "/attempts/0/frames",
                "{" + l.fence() + ",\"frame_type\":\"x\",\"payload\":1}").statusCode(404);
        Worker.frame(l, "x", "{}", null).statusCode(201).body("seq", equalTo(1));

        Worker.complete(l).statusCode(200);
        Worker.frame(l, "x", "{}", null).statusCode(409).body("kind", equalTo("execution_not_active"))
                .body("public_state", equalTo("completed")).body("terminal_outcome", equalTo("success"));
        given().get(path + "0/frames").then().statusCode(200).body("closed", equalTo(true))
                .body("closed_reason", equalTo("success")).body("frames.size()", equalTo(1));
    }

    @Test
    void frameOnAnAttemptThatEndedIsNotActive() {
        Worker w = new Worker();
        String id = given().contentType(ContentType.JSON).body("{\"lane\":\"" + w.lane + "\",\"kind\":\"k\","
                        + "\"retry_policy\":{\"max_retries\":1,\"backoff\":{\"type\":\"fixed\",\"initial_ms\":0}}}")
                .post("/v1/executions").then().statusCode(201).extract().path("execution_id");
        Lease first = w.claim();
        Worker.frame(first, "x", "{}", null).statusCode(201);
        Worker.post("/v1/executions/" + id + "/fail", "{" + first.fence()
                + ",\"error\":{\"message\":\"boom\",\"category\":\"transient\"}}").statusCode(200);
        Worker.frame(first, "x", "{}", null).statusCode(409).body("kind", equalTo("execution_not_active"))
                .body("closed_reason", equalTo("retry"));
        given().get("/v1/executions/" + id + "/attempts/0/frames").then().statusCode(200)
                .body("closed", equalTo(true)).body("closed_reason", equalTo("retry"));
        // The retry's attempt exists before its claim: open, no frames yet.
        given().get("/v1/executions/" + id + "/attempts/1/frames").then().statusCode(200)
                .body("closed", equalTo(false)).body("frames.size()", equalTo(0));
        given().get("/v1/executions/" + id + "/attempts/2/frames").then().statusCode(404);
    }

    @Test
    void tailsAreCappedAndUnknownStreamsAre404() throws Exception {
        given().accept("text/event-stream").get("/v1/executions/" + UUID.randomUUID() + "/attempts/0/frames/stream")
                .then().statusCode(404).contentType("application/problem+json").body("kind", equalTo("not_found"));
        given().accept("text/event-stream").header("Last-Event-ID", "nope")
                .get("/v1/executions/" + UUID.randomUUID() + "/attempts/0/frames/stream")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));

        Lease l = new Worker().createAndClaim();
        String stream = "/v1/executions/" + l.executionId() + "/attempts/0/frames/stream";
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                SseClient c = SseClient.open(stream, null);
                assertEquals(200, c.status);
                open.add(c);
            }
            given().accept("text/event-stream").get(stream).then().statusCode(429)
                    .body("kind", equalTo("resource_exhausted")).body("retryable", equalTo(true))
                    .header("Retry-After", notNullValue());
            Worker.frame(l, "x", "{\"n\":1}", null).statusCode(201);
            Worker.complete(l).statusCode(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> open.stream().allMatch(c -> c.ended));
            for (SseClient c : open) {
                assertEquals(List.of("frame", "closed"), c.events.stream().map(SseClient.Event::name).toList());
            }
        } finally {
            for (SseClient c : open) {
                c.close();
            }
        }
        // The slots are free again once the tails ended.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (SseClient again = SseClient.open(stream, null)) {
                return again.status == 200;
            }
        });
    }

    @Test
    void badReadParametersAre400() {
        Lease l = new Worker().createAndClaim();
        String frames = "/v1/executions/" + l.executionId() + "/attempts/0/frames";
        given().get(frames + "?after=-1").then().statusCode(400).body("kind", equalTo("invalid_input"));
        given().get(frames + "?limit=0").then().statusCode(400).body("kind", equalTo("invalid_input"));
        given().get("/v1/executions/" + l.executionId() + "/attempts/x/frames").then().statusCode(400);
        given().get("/v1/executions/not-a-uuid/attempts/0/frames").then().statusCode(400);
        Worker.post(frames, "{" + l.fence() + ",\"frame_type\":\"x\"}").statusCode(400)
                .body("detail", equalTo("field 'payload' is required"));
        Worker.post(frames, "{" + l.fence() + ",\"frame_type\":\"x\",\"payload\":1,\"mode\":\"loud\"}").statusCode(400);
        Worker.post(frames, "{" + l.fence() + ",\"frame_type\":\"\",\"payload\":1}").statusCode(400);
        Worker.post(frames, "{" + l.fence() + ",\"frame_type\":\"x\",\"payload\":1,\"extra\":1}").statusCode(400)
                .body("kind", equalTo("invalid_input"));
        Worker.post(frames, "{" + l.fence() + ",\"frame_type\":\"x\",\"payload\":[1,").statusCode(400)
                .body("kind", equalTo("invalid_json"));
        String big = "\"" + "x".repeat(300 * 1024) + "\"";
        Worker.post(frames, "{" + l.fence() + ",\"frame_type\":\"x\",\"payload\":" + big + "}").statusCode(413)
                .body("kind", equalTo("payload_too_large"));
        given().contentType(ContentType.TEXT).body("hello").post(frames).then().statusCode(415)
                .body("kind", equalTo("unsupported_media_type"));
        Worker.frame(l, "x", "null", null).statusCode(201);
        assertNull(given().get(frames).then().statusCode(200).extract().jsonPath().get("frames[0].payload"));
        RestAssured.given().get(frames).then().body("frames[0].at_ms", notNullValue());
    }
}
