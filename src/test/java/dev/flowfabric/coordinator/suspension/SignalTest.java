package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.suspension.Worker.Lease;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Signals: dedup, closed waitpoints, unknown waitpoints and tokens that do not verify (api.md §4). */
@QuarkusTest
class SignalTest {

    private static final String TWO = "\"waitpoints\":[{\"key\":\"a\"},{\"key\":\"b\"}]";

    @Test
    void aRepeatedIdempotencyKeyIsADuplicate() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        JsonPath s = Worker.suspend(l, TWO).statusCode(200).extract().jsonPath();
        String id = l.executionId();
        String a = "{\"key\":\"a\",\"token\":\"" + s.getString("waitpoints[0].token")
                + "\",\"name\":\"n\",\"idempotency_key\":\"once\"}";
        String first = Worker.signal(id, a).statusCode(202).body("outcome", equalTo("accepted"))
                .extract().path("signal_id");
        Worker.signal(id, a).statusCode(202).body("outcome", equalTo("duplicate")).body("signal_id", equalTo(first));
        Worker.signal(id, "{\"key\":\"b\",\"token\":\"" + s.getString("waitpoints[1].token")
                + "\",\"name\":\"n\",\"idempotency_key\":\"twice\"}").statusCode(202).body("outcome", equalTo("resumed"));
        // After the resume the waitpoints closed, yet a retry of an accepted signal is still a duplicate.
        Worker.signal(id, a).statusCode(202).body("outcome", equalTo("duplicate")).body("signal_id", equalTo(first));
        Lease r = w.claim();
        assertEquals(List.of("once", "twice").size(), r.claim().getList("claims[0].resume_signals").size());
        assertEquals(first, r.claim().getString("claims[0].resume_signals[0].signal_id"));
    }

    @Test
    void closedWaitpointsRefuseSignals() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String id = l.executionId();
        JsonPath s = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"a\"}]").statusCode(200).extract().jsonPath();
        String token = s.getString("waitpoints[0].token");
        String wp = s.getString("waitpoints[0].waitpoint_id");
        Worker.signalKey(id, "a", token, "n", null).statusCode(202).body("outcome", equalTo("resumed"));
        Worker.signal(id, "{\"waitpoint_id\":\"" + wp + "\",\"token\":\"" + token + "\",\"name\":\"again\"}")
                .statusCode(409).body("kind", equalTo("waitpoint_closed")).body("state", equalTo("closed"))
                .body("waitpoint_id", equalTo(wp));

        // An execution that ends closes its waitpoints, pending ones too.
        Lease r = w.claim();
        String pending = Worker.waitpoint(r, "p").statusCode(201).extract().path("token");
        Worker.post("/v1/executions/" + id + "/cancel", "{\"reason\":\"stop\"}").statusCode(200);
        Worker.signalKey(id, "p", pending, "n", null).statusCode(409).body("kind", equalTo("waitpoint_closed"));
        assertEquals(List.of("closed", "closed"), io.restassured.RestAssured.given()
                .get("/v1/executions/" + id + "/waitpoints").then().extract().jsonPath().getList("waitpoints.state"));
    }

    @Test
    void aSignalAfterTheTimeoutIsTooLateEvenBeforeTheSweep() {
        Lease l = new Worker().createAndClaim();
        long suspendedAt = System.currentTimeMillis();
        String token = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"a\"}],\"timeout_ms\":1,\"on_timeout\":\"resume\"")
                .statusCode(200).extract().path("waitpoints[0].token");
        org.awaitility.Awaitility.await().until(() -> System.currentTimeMillis() > suspendedAt + 50);
        Worker.signalKey(l.executionId(), "a", token, "late", null).statusCode(409)
                .body("kind", equalTo("waitpoint_closed")).body("state", equalTo("expired"));
    }

    @Test
    void unknownWaitpointsAre404() {
        Lease l = new Worker().createAndClaim();
        String id = l.executionId();
        String token = Worker.suspend(l, TWO).statusCode(200).extract().path("waitpoints[0].token");
        Worker.signal(id, "{\"waitpoint_id\":\"" + UUID.randomUUID() + "\",\"token\":\"" + token + "\",\"name\":\"n\"}")
                .statusCode(404).body("entity", equalTo("waitpoint"));
        Worker.signalKey(id, "nope", token, "n", null).statusCode(404).body("entity", equalTo("waitpoint"));
        Worker.signalKey(UUID.randomUUID().toString(), "a", token, "n", null).statusCode(404)
                .body("entity", equalTo("execution"));
    }

    @Test
    void tokensThatDoNotVerifyAre403AndChangeNothing() {
        Lease mine = new Worker().createAndClaim();
        Lease other = new Worker().createAndClaim();
        JsonPath s = Worker.suspend(mine, TWO).statusCode(200).extract().jsonPath();
        String foreign = Worker.suspend(other, TWO).statusCode(200).extract().path("waitpoints[0].token");
        String a = s.getString("waitpoints[0].token");
        String b = s.getString("waitpoints[1].token");
        String id = mine.executionId();
        String kid = a.substring(0, a.indexOf(':'));
        for (String bad : List.of(foreign, b, "garbage", kid + ":" + "0".repeat(64), "nokid:" + a.substring(a.indexOf(':') + 1),
                a.toUpperCase(), a + "0", kid + ":" + a.substring(a.indexOf(':') + 1, a.length() - 2))) {
            Worker.signalKey(id, "a", bad, "n", null).statusCode(403).body("kind", equalTo("invalid_token"));
        }
        // Nothing was recorded: a valid signal to each waitpoint still makes the first acceptance.
        Worker.signalKey(id, "a", a, "n", null).statusCode(202).body("outcome", equalTo("accepted"));
        Worker.signalKey(id, "b", b, "n", null).statusCode(202).body("outcome", equalTo("resumed"));
        assertEquals("suspended", Worker.execution(other.executionId()).getString("public_state"));
    }

    @Test
    void badSignalBodiesAre400() {
        Lease l = new Worker().createAndClaim();
        String id = l.executionId();
        String token = Worker.suspend(l, TWO).statusCode(200).extract().path("waitpoints[0].token");
        String wp = "\"waitpoint_id\":\"" + UUID.randomUUID() + "\"";
        Worker.signal(id, "{" + wp + ",\"key\":\"a\",\"token\":\"" + token + "\",\"name\":\"n\"}").statusCode(400)
                .body("kind", equalTo("invalid_input"));
        Worker.signal(id, "{\"token\":\"" + token + "\",\"name\":\"n\"}").statusCode(400);
        Worker.signal(id, "{\"key\":\"a\",\"name\":\"n\"}").statusCode(400).body("detail", equalTo("field 'token' is required"));
        Worker.signal(id, "{\"key\":\"a\",\"token\":\"" + token + "\"}").statusCode(400)
                .body("detail", equalTo("field 'name' is required"));
        Worker.signal(id, "{\"key\":\"a\",\"token\":\"" + token + "\",\"name\":\"n\",\"colour\":1}").statusCode(400)
                .body("field", equalTo("colour"));
        Worker.signal(id, "{\"key\":\"a\",\"token\":\"" + token + "\",\"name\":7}").statusCode(400);
        // Over the 1 MiB signal cap: refused (by the transport limit, before routing).
        String big = "\"" + "x".repeat(1100 * 1024) + "\"";
        io.restassured.RestAssured.given().contentType(io.restassured.http.ContentType.JSON)
                .body("{\"key\":\"a\",\"token\":\"" + token + "\",\"name\":\"n\",\"payload\":" + big + "}")
                .post("/v1/executions/" + id + "/signals").then().statusCode(413);
        // Bodies up to the 1 MiB signal cap are fine.
        String fits = "\"" + "x".repeat(900 * 1024) + "\"";
        Worker.signal(id, "{\"key\":\"a\",\"token\":\"" + token + "\",\"name\":\"n\",\"payload\":" + fits + "}")
                .statusCode(202);
    }
}
