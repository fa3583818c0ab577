package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.suspension.Worker.Lease;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A coding agent reports progress, streams {@code agent_step} frames and keeps a summary while it
 * runs; a dashboard tails the stream over SSE from before the first frame and sees every frame in
 * order, then {@code closed} once the agent completes. A late reader resumes with Last-Event-ID.
 */
@QuarkusTest
class CodingAgentScenarioTest {

    @Test
    void dashboardSeesEveryFrameThenClosed() throws Exception {
        Worker w = new Worker();
        Lease agent = w.createAndClaim();
        String id = agent.executionId();
        String streamPath = "/v1/executions/" + id + "/attempts/" + agent.attemptIndex() + "/frames/stream";

        try (SseClient dashboard = SseClient.open(streamPath, null)) {
            assertEquals(200, dashboard.status);
            assertTrue(dashboard.contentType.startsWith("text/event-stream"), dashboard.contentType);

            List<String> sent = new ArrayList<>();
            for (int step = 1; step <= 6; step++) {
                Worker.post("/v1/executions/" + id + "/progress",
                        "{" + agent.fence() + ",\"percent\":" + step * 15 + ",\"message\":\"step " + step + "\"}")
                        .statusCode(204);
                Worker.frame(agent, "agent_step", "{\"step\":" + step + ",\"tool\":\"edit\"}", null).statusCode(201);
                sent.add("agent_step");
                if (step % 2 == 0) {
                    Worker.frame(agent, "summary", "{\"steps_done\":" + step + ",\"files\":{\"f" + step + "\":\"edited\"}}",
                            "summary").statusCode(201).body("summary_version", equalTo(step / 2));
                    sent.add("summary");
                }
                Worker.frame(agent, "token", "{\"text\":\"thinking " + step + "\"}", "best_effort").statusCode(201);
                sent.add("token");
            }
            // Live: the dashboard already has every frame while the agent is still running.
            await().atMost(Duration.ofSeconds(10)).until(() -> dashboard.named("frame").size() == sent.size());
            assertEquals("active", Worker.execution(id).getString("public_state"));
            assertEquals(90, Worker.execution(id).getInt("progress.percent"));

            Worker.frame(agent, "summary", "{\"files\":{\"f2\":null},\"status\":\"done\"}", "summary")
                    .statusCode(201).body("summary_version", equalTo(4));
            sent.add("summary");
            Worker.complete(agent).statusCode(200);

            await().atMost(Duration.ofSeconds(10)).until(() -> !dashboard.named("closed").isEmpty());
            List<SseClient.Event> frames = dashboard.named("frame");
            assertEquals(sent.size(), frames.size());
            for (int i = 0; i < frames.size(); i++) {
                JsonPath f = JsonPath.from(frames.get(i).data());
                assertEquals(i + 1, f.getInt("seq"));
                assertEquals(String.valueOf(i + 1), frames.get(i).id());
                assertEquals(sent.get(i), f.getString("frame_type"));
            }
            assertEquals("closed", dashboard.events.get(dashboard.events.size() - 1).name());
            assertEquals(List.of(), dashboard.otherLines);
            assertEquals("success", JsonPath.from(dashboard.named("closed").get(0).data()).getString("closed_reason"));
            await().atMost(Duration.ofSeconds(5)).until(() -> dashboard.ended);
        }

        JsonPath summary = RestAssured.given().get("/v1/executions/" + id + "/summary").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(4, summary.getInt("version"));
        assertEquals(Map.of("steps_done", 6, "status", "done",
                "files", Map.of("f4", "edited", "f6", "edited")), summary.getMap("document"));

        JsonPath page = RestAssured.given().get("/v1/executions/" + id + "/attempts/0/frames?after=2&limit=3")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(3, 4, 5), page.getList("frames.seq"));
        assertEquals(true, page.getBoolean("closed"));
        assertEquals("success", page.getString("closed_reason"));
        assertEquals("agent_step", page.getString("frames[0].frame_type"));

        // A reader that saw seq 14 resumes after it and still gets the end.
        try (SseClient late = SseClient.open(streamPath, "14")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> late.ended);
            assertEquals(List.of("15", "16"), late.named("frame").stream().map(SseClient.Event::id).toList());
            assertEquals("closed", late.events.get(late.events.size() - 1).name());
        }
    }
}
