package dev.flowfabric.coordinator.service;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first step of a graceful shutdown, on the shared test instance: the event Quarkus fires when
 * shutdown begins makes the replica drain (readiness DOWN, waiting long-polls answer 204 at once,
 * keep-alive connections closed), and the instance is handed back afterwards.
 */
@QuarkusTest
class DrainTest {

    @Inject
    WorkSignals signals;

    @Inject
    Event<ShutdownDelayInitiatedEvent> shutdownBegins;

    @AfterEach
    void handBack() {
        signals.reopen();
    }

    @Test
    void shutdownDrainsFirst() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'lifecycle' }.status", equalTo("UP"));

        String lane = "drain-" + UUID.randomUUID().toString().substring(0, 8);
        long started = System.nanoTime();
        CompletableFuture<Response> longPoll = CompletableFuture.supplyAsync(() -> given().contentType(ContentType.JSON)
                .body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\",\"wait_ms\":25000}")
                .post("/v1/lanes/" + lane + "/claim"));
        // It is parked waiting for work, not answered.
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> !longPoll.isDone());

        shutdownBegins.fire(new ShutdownDelayInitiatedEvent());

        Response answered = longPoll.join();
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals(204, answered.statusCode());
        assertTrue(waitedMs < 15_000, "the long-poll returned when draining began, not after wait_ms: " + waitedMs);
        assertEquals("close", answered.header("Connection"), "keep-alive clients are sent elsewhere");

        given().get("/q/health/ready").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'lifecycle' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'lifecycle' }.data.state", equalTo("draining"));
        // Liveness stays up: a draining replica must not be restarted.
        given().get("/q/health/live").then().statusCode(200);
        // A new long-poll does not park either.
        long again = System.nanoTime();
        given().contentType(ContentType.JSON)
                .body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\",\"wait_ms\":25000}")
                .post("/v1/lanes/" + lane + "/claim").then().statusCode(204);
        assertTrue((System.nanoTime() - again) / 1_000_000 < 10_000);
    }

    @Test
    void scheduledSweepsStopWhileDrainingAndResumeAfter() {
        await().atMost(Duration.ofSeconds(10)).until(() -> leaseExpiryCycles() > 0);
        shutdownBegins.fire(new ShutdownDelayInitiatedEvent());
        // A tick already running may finish; after that no new cycle starts (the sweep runs every second).
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            double before = leaseExpiryCycles();
            await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(3)).until(() -> leaseExpiryCycles() == before);
            return true;
        });
        double stopped = leaseExpiryCycles();
        signals.reopen();
        await().atMost(Duration.ofSeconds(10)).until(() -> leaseExpiryCycles() > stopped);
    }

    private static double leaseExpiryCycles() {
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("(?m)^ff_scanner_cycle_total\\{scanner=\"lease_expiry\",?} (\\S+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void readinessListsTheLifecycleCheck() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.name", hasItem("lifecycle"))
                .body("checks.find { it.name == 'lifecycle' }.data.state", equalTo("serving"));
    }
}
