package dev.flowfabric.coordinator.admission;

import dev.flowfabric.coordinator.sweep.WorkerSweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static dev.flowfabric.coordinator.admission.Api.ok;
import static dev.flowfabric.coordinator.admission.Api.post;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class WorkerRegistryTest {

    @Inject
    WorkerSweep sweep;

    private static String registration(String ns, String instance, String lane, long ttl) {
        return "{\"worker_id\":\"worker-a\",\"worker_instance_id\":\"" + instance + "\",\"namespace\":\"" + ns
                + "\",\"lanes\":[\"" + lane + "\"],\"capabilities\":[\"gpu\",\"cpu\"],\"liveness_ttl_ms\":" + ttl + "}";
    }

    @Test
    void registerRefreshHeartbeatListDeregister() {
        String ns = "ns-" + UUID.randomUUID();
        String instance = "inst-" + UUID.randomUUID();
        String lane = Api.lane();
        JsonPath first = ok(post("/v1/workers", registration(ns, instance, lane, 30_000)), 201);
        assertEquals("worker-a", first.getString("worker_id"));
        assertEquals(java.util.List.of("cpu", "gpu"), first.getList("capabilities"));
        assertTrue(first.getBoolean("alive"));
        long registeredAt = first.getLong("registered_at_ms");

        JsonPath again = ok(post("/v1/workers", registration(ns, instance, lane, 60_000)), 200);
        assertEquals(60_000, again.getLong("liveness_ttl_ms"));
        assertEquals(registeredAt, again.getLong("registered_at_ms"));

        JsonPath hb = ok(post("/v1/workers/" + instance + "/heartbeat", ""), 200);
        assertTrue(hb.getLong("next_expiry_ms") >= again.getLong("expires_at_ms"));
        ok(post("/v1/workers/" + instance + "/heartbeat", "{}"), 200);

        JsonPath list = ok(given().get("/v1/workers?namespace=" + ns + "&lane=" + lane), 200);
        assertEquals(1, list.getList("workers").size());
        assertEquals(instance, list.getString("workers[0].worker_instance_id"));
        assertTrue(list.getBoolean("workers[0].alive"));
        assertTrue(list.getLong("workers[0].last_heartbeat_ms") > 0);
        assertEquals(0, ok(given().get("/v1/workers?namespace=" + ns + "&lane=other-lane"), 200)
                .getList("workers").size());

        given().delete("/v1/workers/" + instance).then().statusCode(204);
        given().delete("/v1/workers/" + instance).then().statusCode(204);
        post("/v1/workers/" + instance + "/heartbeat", "").then().statusCode(404)
                .body("kind", equalTo("not_found")).body("entity", equalTo("worker"));
    }

    @Test
    void aWorkerThatMissedItsTtlIsSweptAndMustRegisterAgain() {
        String ns = "ns-" + UUID.randomUUID();
        String instance = "inst-" + UUID.randomUUID();
        JsonPath reg = ok(post("/v1/workers", registration(ns, instance, Api.lane(), 1_000)), 201);
        long expiry = reg.getLong("expires_at_ms");

        sweep.sweepOnce(expiry - 1).await().indefinitely();
        assertEquals(1, ok(given().get("/v1/workers?namespace=" + ns), 200).getList("workers").size());

        sweep.sweepOnce(expiry + 1).await().indefinitely();
        assertEquals(0, ok(given().get("/v1/workers?namespace=" + ns), 200).getList("workers").size());
        post("/v1/workers/" + instance + "/heartbeat", "").then().statusCode(404);

        ok(post("/v1/workers", registration(ns, instance, Api.lane(), 1_000)), 201);
    }

    @Test
    void listShowsExpiredButUnsweptWorkersAsNotAliveAndPages() {
        String ns = "ns-" + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            ok(post("/v1/workers", registration(ns, "p-" + i + "-" + UUID.randomUUID(), Api.lane(), 30_000)), 201);
        }
        JsonPath page1 = ok(given().get("/v1/workers?namespace=" + ns + "&limit=2"), 200);
        assertEquals(2, page1.getList("workers").size());
        String cursor = page1.getString("next_cursor");
        JsonPath page2 = ok(given().get("/v1/workers?namespace=" + ns + "&limit=2&cursor=" + cursor), 200);
        assertEquals(1, page2.getList("workers").size());
        assertEquals(null, page2.getString("next_cursor"));
    }

    @Test
    void aClaimByARegisteredWorkerRecordsItsInstance() {
        String lane = Api.lane();
        String instance = "inst-" + UUID.randomUUID();
        ok(post("/v1/workers", registration("default", instance, lane, 30_000)), 201);
        String id = Api.create(lane, "");
        JsonPath claim = ok(post("/v1/lanes/" + lane + "/claim",
                "{\"worker_id\":\"worker-a\",\"worker_instance_id\":\"" + instance + "\"}"), 200);
        assertEquals(id, claim.getString("claims[0].execution_id"));
        assertEquals(instance, ok(given().get("/v1/executions/" + id + "/attempts"), 200)
                .getString("attempts[0].worker_instance_id"));
        // Claims stay valid without registration.
        String other = Api.create(lane, "");
        assertEquals(other, Api.claim(lane, 1).get(0).executionId());
    }

    @Test
    void badRegistrationsAreProblems() {
        post("/v1/workers", "{\"worker_id\":\"w\",\"worker_instance_id\":\"i\",\"lanes\":[\"bad lane\"]}")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/workers", "{\"worker_id\":\"w\",\"worker_instance_id\":\"i\"}")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/workers", "{\"worker_id\":\"w\",\"worker_instance_id\":\"i\",\"lanes\":[],\"liveness_ttl_ms\":5}")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/workers", "{\"worker_id\":\"w\",\"worker_instance_id\":\"i\",\"lanes\":[],\"colour\":1}")
                .then().log().ifValidationFails().statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/workers/x/heartbeat", "{\"extra\":1}").then().statusCode(400);
        String instance = "inst-" + UUID.randomUUID();
        ok(post("/v1/workers", registration("default", instance, Api.lane(), 30_000)), 201);
        post("/v1/workers", "{\"worker_id\":\"someone-else\",\"worker_instance_id\":\"" + instance + "\",\"lanes\":[]}")
                .then().statusCode(409).body("kind", equalTo("idempotency_conflict"));
        assertFalse(given().get("/v1/workers?limit=0").statusCode() == 500);
    }
}
