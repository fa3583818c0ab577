package dev.flowfabric.coordinator.metrics;

import dev.flowfabric.coordinator.sweep.LeaseExpirySweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The meters of api.md §8 appear at /q/metrics with FlowFabric's names, and count what happened. */
@QuarkusTest
class MetricsTest {

    @Inject
    LeaseExpirySweep leaseExpiry;

    @Inject
    QueueDepth queueDepth;

    @Inject
    Clock clock;

    @Test
    void createClaimCompleteFailRetryExpireAreCounted() {
        String lane = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        PrometheusText before = scrape();
        double renewOk = before.valueOrZero("ff_lease_renewal_total", Map.of("outcome", "ok"));
        double renewErr = before.valueOrZero("ff_lease_renewal_total", Map.of("outcome", "err"));

        String done = create(lane, "{}");
        String retried = create(lane, ",\"retry_policy\":{\"max_retries\":1,\"backoff\":{\"type\":\"fixed\",\"initial_ms\":0}}");
        String lost = create(lane, "{}");
        queueDepth.refresh().await().atMost(Duration.ofSeconds(10));
        assertEquals(3.0, scrape().valueOrZero("ff_queue_depth", Map.of("lane", lane, "public_state", "waiting")));

        Map<String, JsonPath> leases = claim(lane, 3, 10_000);
        assertEquals(3, leases.size());
        complete(done, leases.get(done));
        given().contentType(ContentType.JSON).body(fence(leases.get(retried))
                        + ",\"error\":{\"message\":\"boom\",\"category\":\"transient\"}}")
                .post("/v1/executions/" + retried + "/fail").then().statusCode(200)
                .body("outcome", org.hamcrest.Matchers.equalTo("retry_scheduled"));
        given().contentType(ContentType.JSON).body(fence(leases.get(lost)) + "}")
                .post("/v1/executions/" + lost + "/renew").then().statusCode(200);
        given().contentType(ContentType.JSON)
                .body("{\"lease_id\":\"" + leases.get(lost).getString("lease_id") + "\",\"lease_epoch\":99}")
                .post("/v1/executions/" + lost + "/renew").then().statusCode(409);
        // The scheduled sweep may get there first; either way the lease is expired once.
        leaseExpiry.sweepOnce(clock.millis() + 60_000).await().atMost(Duration.ofSeconds(10));

        Map<String, JsonPath> again = new HashMap<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            again.putAll(claim(lane, 5, 30_000));
            return again.keySet().containsAll(List.of(retried, lost));
        });
        complete(retried, again.get(retried));
        complete(lost, again.get(lost));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            PrometheusText m = scrape();
            Map<String, String> byLane = Map.of("lane", lane);
            assertEquals(3.0, m.valueOrZero("ff_executions_created_total", byLane));
            assertEquals(5.0, m.valueOrZero("ff_executions_claimed_total", byLane));
            assertEquals(3.0, m.valueOrZero("ff_executions_completed_total", byLane));
            assertEquals(1.0, m.valueOrZero("ff_executions_retried_total", byLane));
            assertEquals(1.0, m.valueOrZero("ff_lease_expired_total", byLane));
            assertEquals(3.0, m.valueOrZero("ff_attempt_outcome_total", Map.of("lane", lane, "outcome", "ok")));
            assertEquals(1.0, m.valueOrZero("ff_attempt_outcome_total", Map.of("lane", lane, "outcome", "retry")));
            assertEquals(renewOk + 1, m.valueOrZero("ff_lease_renewal_total", Map.of("outcome", "ok")));
            assertEquals(renewErr + 1, m.valueOrZero("ff_lease_renewal_total", Map.of("outcome", "err")));
            assertTrue(m.valueOrZero("ff_claim_from_grant_duration_seconds_count", byLane) >= 2, () -> m.linesWith(lane));
            assertTrue(m.value("ff_claim_from_grant_duration_seconds_bucket", Map.of("lane", lane, "le", "0.1"))
                    .isPresent(), () -> "claim latency is a histogram:\n" + m.linesWith(lane));
        });

        queueDepth.refresh().await().atMost(Duration.ofSeconds(10));
        PrometheusText m = scrape();
        assertEquals(0.0, m.valueOrZero("ff_queue_depth", Map.of("lane", lane, "public_state", "waiting")),
                "a drained queue reads 0, it does not vanish");
        assertTrue(m.value("ff_queue_depth", Map.of("lane", lane, "public_state", "waiting")).isPresent());
        assertTrue(m.has("ff_cancel_backlog_depth"));
        assertTrue(m.value("http_server_requests_seconds_bucket", Map.of("uri", "/v1/lanes/{lane}/claim"))
                .isPresent(), () -> "HTTP server latency by route template, as a histogram:\n"
                + m.linesWith("http_server_requests"));
    }

    @Test
    void scheduledSweepsReportTheirCycles() {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            PrometheusText m = scrape();
            for (String scanner : List.of("lease_expiry", "delayed_promoter", "attempt_timeout", "execution_deadline")) {
                assertTrue(m.valueOrZero("ff_scanner_cycle_total", Map.of("scanner", scanner)) > 0, scanner);
                assertTrue(m.value("ff_scanner_cycle_duration_seconds_count", Map.of("scanner", scanner)).isPresent(),
                        scanner);
            }
        });
    }

    static PrometheusText scrape() {
        return new PrometheusText(given().accept("text/plain").get("/q/metrics").then().statusCode(200)
                .extract().asString());
    }

    private static String create(String lane, String extra) {
        String more = extra.equals("{}") ? "" : extra;
        return given().contentType(ContentType.JSON)
                .body("{\"lane\":\"" + lane + "\",\"kind\":\"k\"" + more + "}")
                .post("/v1/executions").then().statusCode(201).extract().path("execution_id");
    }

    private static Map<String, JsonPath> claim(String lane, int max, long ttl) {
        var response = given().contentType(ContentType.JSON)
                .body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\",\"max\":" + max + ",\"lease_ttl_ms\":" + ttl
                        + ",\"wait_ms\":500}")
                .post("/v1/lanes/" + lane + "/claim").then().extract();
        Map<String, JsonPath> out = new HashMap<>();
        if (response.statusCode() == 200) {
            List<Map<String, Object>> claims = response.jsonPath().getList("claims");
            for (Map<String, Object> c : claims) {
                out.put((String) c.get("execution_id"), new JsonPath(toJson(c)));
            }
        }
        return out;
    }

    private static String toJson(Map<String, Object> claim) {
        return "{\"lease_id\":\"" + claim.get("lease_id") + "\",\"lease_epoch\":" + claim.get("lease_epoch") + "}";
    }

    private static String fence(JsonPath lease) {
        return "{\"lease_id\":\"" + lease.getString("lease_id") + "\",\"lease_epoch\":" + lease.getLong("lease_epoch");
    }

    private static void complete(String id, JsonPath lease) {
        given().contentType(ContentType.JSON).body(fence(lease) + ",\"result\":{\"ok\":true}}")
                .post("/v1/executions/" + id + "/complete").then().statusCode(200);
    }
}
