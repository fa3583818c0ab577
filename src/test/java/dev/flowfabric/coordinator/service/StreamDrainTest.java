package dev.flowfabric.coordinator.service;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A draining replica ends its SSE stream tails at once (so they do not hold the shutdown; the
 * client resumes elsewhere with Last-Event-ID) and opens no new ones.
 */
@QuarkusTest
class StreamDrainTest {

    @Inject
    WorkSignals signals;

    @Inject
    Event<ShutdownDelayInitiatedEvent> shutdownBegins;

    @AfterEach
    void handBack() {
        signals.reopen();
    }

    @Test
    void drainingEndsTails() {
        String lane = "drain-tail-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType(ContentType.JSON).body("{\"lane\":\"" + lane + "\",\"kind\":\"k\"}").post("/v1/executions")
                .then().statusCode(201);
        JsonPath claim = given().contentType(ContentType.JSON).body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\"}")
                .post("/v1/lanes/" + lane + "/claim").then().statusCode(200).extract().jsonPath();
        String stream = "/v1/executions/" + claim.getString("claims[0].execution_id") + "/attempts/0/frames/stream";
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + stream))
                .header("Accept", "text/event-stream").build();
        CompletableFuture<List<String>> tail = HttpClient.newHttpClient()
                .sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                .thenApply(r -> r.body().collect(Collectors.toList()));
        // It is open and waiting for frames.
        await().during(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(5)).until(() -> !tail.isDone());

        long started = System.nanoTime();
        shutdownBegins.fire(new ShutdownDelayInitiatedEvent());
        List<String> lines = tail.join();
        assertTrue((System.nanoTime() - started) / 1_000_000 < 1500, "the tail ended promptly");
        assertEquals(List.of(), lines.stream().filter(l -> l.startsWith("event:")).toList());
        given().accept("text/event-stream").get(stream).then().statusCode(503).body("kind", equalTo("unavailable"));
    }
}
