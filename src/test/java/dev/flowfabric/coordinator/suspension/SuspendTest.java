package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.suspension.Worker.Lease;
import dev.flowfabric.coordinator.sweep.SuspensionSweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Suspend: idempotency, already_satisfied, conditions, timeouts and the fence (api.md §4). */
@QuarkusTest
class SuspendTest {

    private static final String ONE = "\"waitpoints\":[{\"key\":\"k\"}]";

    @Inject
    SuspensionSweep sweep;

    @Inject
    Pool pool;

    @Test
    void repeatedSuspendReturnsTheFirstAnswer() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String body = ONE + ",\"timeout_ms\":60000,\"idempotency_key\":\"s-1\"";
        String first = Worker.suspend(l, body).statusCode(200).extract().asString();
        assertEquals("suspended", Worker.execution(l.executionId()).getString("public_state"));
        // The lease is gone, yet the retry gets the same answer (same suspension, same tokens).
        String again = Worker.suspend(l, body).statusCode(200).extract().asString();
        assertEquals(first, again);
        assertEquals(1L, count("SELECT count(*) FROM ff_suspension WHERE execution_id = $1", l.executionId()));
        // The same key for another request is a conflict, not a replay.
        Worker.suspend(l, ONE + ",\"timeout_ms\":1000,\"idempotency_key\":\"s-1\"").statusCode(409)
                .body("kind", equalTo("idempotency_conflict"));
        // Without the key, the released lease is just stale.
        Worker.suspend(l, ONE).statusCode(409).body("kind", equalTo("stale_lease"));
    }

    @Test
    void bufferedSignalsThatSatisfyKeepTheLease() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String token = Worker.waitpoint(l, "early").statusCode(201).extract().path("token");
        Worker.signalKey(l.executionId(), "early", token, "done", "ci").statusCode(202)
                .body("outcome", equalTo("accepted"));
        assertEquals("active", Worker.execution(l.executionId()).getString("public_state"));

        JsonPath answer = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"early\"}],\"idempotency_key\":\"x\"")
                .statusCode(200).body("outcome", equalTo("already_satisfied")).extract().jsonPath();
        assertEquals(List.of("done"), answer.getList("resume_signals.name"));
        assertEquals(token, answer.getString("waitpoints[0].token"));
        // The lease was kept: the worker goes on and completes.
        assertEquals("active", Worker.execution(l.executionId()).getString("public_state"));
        Worker.post("/v1/executions/" + l.executionId() + "/renew", "{" + l.fence() + "}").statusCode(200);
        assertEquals(answer.prettify(), Worker.suspend(l, "\"waitpoints\":[{\"key\":\"early\"}],\"idempotency_key\":\"x\"")
                .statusCode(200).extract().jsonPath().prettify());
        // Its waitpoint closed with the suspension that consumed it.
        Worker.signalKey(l.executionId(), "early", token, "late", "ci").statusCode(409)
                .body("kind", equalTo("waitpoint_closed"));
        Worker.complete(l).statusCode(200);
    }

    @Test
    void bufferedSignalsCountOnceTheExecutionSuspends() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String a = Worker.waitpoint(l, "a").statusCode(201).extract().path("token");
        // Creating the same key again hands back the open waitpoint.
        assertEquals(a, Worker.waitpoint(l, "a").statusCode(200).extract().path("token"));
        Worker.signalKey(l.executionId(), "a", a, "first", "x").statusCode(202).body("outcome", equalTo("accepted"));
        JsonPath s = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"a\"},{\"key\":\"b\"}],\"condition\":{\"all_of\":[\"a\",\"b\"]}")
                .statusCode(200).body("outcome", equalTo("suspended")).extract().jsonPath();
        String b = s.getString("waitpoints[1].token");
        JsonPath listed = given().get("/v1/executions/" + l.executionId() + "/waitpoints").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("active", "active"), listed.getList("waitpoints.state"));
        Worker.signalKey(l.executionId(), "b", b, "second", "y").statusCode(202).body("outcome", equalTo("resumed"));
        Lease resumed = w.claim();
        assertEquals(List.of("first", "second"), resumed.claim().getList("claims[0].resume_signals.name"));
        assertEquals(List.of("a", "b"), resumed.claim().getList("claims[0].resume_signals.key"));
        // A later resume of the same attempt (after a delay) carries no signals.
        Worker.post("/v1/executions/" + l.executionId() + "/delay", "{" + resumed.fence() + ",\"delay_until_ms\":0}")
                .statusCode(200);
        Lease again = w.claim();
        assertEquals("resume", again.attemptType());
        assertNull(again.claim().get("claims[0].resume_signals"));
    }

    @Test
    void anyOfAndCountConditions() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        JsonPath s = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"a\"},{\"key\":\"b\"},{\"key\":\"c\"}],"
                + "\"condition\":{\"count\":2,\"of\":[\"a\",\"b\",\"c\"]}").statusCode(200).extract().jsonPath();
        String id = l.executionId();
        Worker.signalKey(id, "a", s.getString("waitpoints[0].token"), "n", "same").statusCode(202)
                .body("outcome", equalTo("accepted"));
        Worker.signalKey(id, "a", s.getString("waitpoints[0].token"), "n", "same").statusCode(202)
                .body("outcome", equalTo("accepted"));
        Worker.signalKey(id, "c", s.getString("waitpoints[2].token"), "n", "same").statusCode(202)
                .body("outcome", equalTo("resumed"));
        Lease r = w.claim();
        JsonPath any = Worker.suspend(r, "\"waitpoints\":[{\"key\":\"x\"},{\"key\":\"y\"}],"
                + "\"condition\":{\"any_of\":[\"x\",\"y\"]}").statusCode(200).extract().jsonPath();
        Worker.signalKey(id, "y", any.getString("waitpoints[1].token"), "n", null).statusCode(202)
                .body("outcome", equalTo("resumed"));
        assertEquals(List.of("closed", "closed"), given().get("/v1/executions/" + id + "/waitpoints").then()
                .extract().jsonPath().getList("waitpoints.findAll { it.key == 'x' || it.key == 'y' }.state"));
    }

    @Test
    void timeoutsApplyOnTimeout() {
        Map<String, String> expected = Map.of("cancel", "cancelled", "expire", "expired");
        for (var e : expected.entrySet()) {
            Lease l = new Worker().createAndClaim();
            Worker.suspend(l, ONE + ",\"timeout_ms\":1000,\"on_timeout\":\"" + e.getKey() + "\"").statusCode(200);
            sweep.sweepOnce(System.currentTimeMillis() + 5_000).await().indefinitely();
            assertEquals(e.getValue(), Worker.execution(l.executionId()).getString("public_state"));
        }
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String p = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"p\"},{\"key\":\"q\"}],\"timeout_ms\":1000,"
                + "\"on_timeout\":\"resume\"").statusCode(200).extract().path("waitpoints[0].token");
        Worker.signalKey(l.executionId(), "p", p, "partial", null).statusCode(202).body("outcome", equalTo("accepted"));
        sweep.sweepOnce(System.currentTimeMillis() + 5_000).await().indefinitely();
        assertEquals("waiting", Worker.execution(l.executionId()).getString("public_state"));
        Lease afterTimeout = w.claim();
        assertEquals("resume", afterTimeout.attemptType());
        assertEquals(l.attemptIndex(), afterTimeout.attemptIndex());
        assertEquals(List.of("partial", "timeout"), afterTimeout.claim().getList("claims[0].resume_signals.name"));
        assertEquals(List.of("expired", "expired"), given().get("/v1/executions/" + l.executionId() + "/waitpoints")
                .then().extract().jsonPath().getList("waitpoints.state"));
    }

    @Test
    void pendingWaitpointsExpire() {
        Lease l = new Worker().createAndClaim();
        String token = Worker.post("/v1/executions/" + l.executionId() + "/waitpoints",
                "{" + l.fence() + ",\"key\":\"soon\",\"expires_in_ms\":1000}").statusCode(201).extract().path("token");
        sweep.sweepOnce(System.currentTimeMillis() + 5_000).await().indefinitely();
        given().get("/v1/executions/" + l.executionId() + "/waitpoints").then().statusCode(200)
                .body("waitpoints[0].state", equalTo("expired"));
        Worker.signalKey(l.executionId(), "soon", token, "late", null).statusCode(409)
                .body("kind", equalTo("waitpoint_closed")).body("state", equalTo("expired"));
        // Suspending on that key makes a new waitpoint.
        String fresh = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"soon\"}]").statusCode(200)
                .extract().path("waitpoints[0].token");
        assertTrue(!fresh.equals(token));
    }

    @Test
    void suspendIsFenced() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String id = l.executionId();
        Worker.post("/v1/executions/" + id + "/suspend", "{\"lease_id\":\"" + l.leaseId() + "\",\"lease_epoch\":"
                + (l.epoch() + 1) + "," + ONE + "}").statusCode(409).body("kind", equalTo("stale_lease"));
        Worker.post("/v1/executions/" + id + "/waitpoints", "{\"lease_id\":\"" + UUID.randomUUID()
                + "\",\"lease_epoch\":1,\"key\":\"k\"}").statusCode(409).body("kind", equalTo("stale_lease"));
        Worker.post("/v1/executions/" + UUID.randomUUID() + "/suspend", "{" + l.fence() + "," + ONE + "}")
                .statusCode(404).body("entity", equalTo("execution"));

        Worker.post("/v1/executions/" + id + "/revoke-lease", "{\"reason\":\"ops\"}").statusCode(200);
        Worker.suspend(l, ONE).statusCode(409).body("kind", equalTo("lease_revoked"));
        Worker.waitpoint(l, "k").statusCode(409).body("kind", equalTo("lease_revoked"));

        Lease again = w.claim();
        Worker.post("/v1/executions/" + id + "/cancel", "{\"reason\":\"ops\"}").statusCode(200);
        Worker.suspend(again, ONE).statusCode(409).body("kind", equalTo("execution_not_active"))
                .body("terminal_outcome", equalTo("cancelled"));

        Worker x = new Worker();
        x.create();
        JsonPath c = given().contentType(ContentType.JSON)
                .body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\",\"lease_ttl_ms\":1000}")
                .post("/v1/lanes/" + x.lane + "/claim").then().statusCode(200).extract().jsonPath();
        long expiresAt = c.getLong("claims[0].lease_expires_at_ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > expiresAt + 50);
        Worker.post("/v1/executions/" + c.getString("claims[0].execution_id") + "/suspend",
                "{\"lease_id\":\"" + c.getString("claims[0].lease_id") + "\",\"lease_epoch\":"
                        + c.getLong("claims[0].lease_epoch") + "," + ONE + "}")
                .statusCode(409).body("kind", equalTo("lease_expired"));
    }

    @Test
    void eventsAreWrittenWithTheChanges() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String token = Worker.suspend(l, ONE).statusCode(200).extract().path("waitpoints[0].token");
        Worker.signalKey(l.executionId(), "k", token, "go", "me").statusCode(202);
        List<String> types = new ArrayList<>();
        for (Row r : pool.preparedQuery("SELECT type FROM ff_event WHERE execution_id = $1 ORDER BY event_id")
                .execute(Tuple.of(UUID.fromString(l.executionId()))).await().indefinitely()) {
            types.add(r.getString("type"));
        }
        assertEquals(List.of("execution.created", "execution.claimed", "execution.suspended", "signal.accepted",
                "execution.resumed"), types);
    }

    private long count(String sql, String id) {
        return pool.preparedQuery(sql).execute(Tuple.of(UUID.fromString(id))).await().indefinitely()
                .iterator().next().getLong(0);
    }
}
