package dev.flowfabric.coordinator.lease;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fenced worker calls when the fence holds (api.md §2.4). */
@QuarkusTest
class WorkerCallsTest {

    @Inject
    Db db;

    private static Lease claimed(String lane) {
        NewExecution.on(lane).create();
        return Claim.on(lane).ttl(10_000).one();
    }

    @Test
    void renewExtendsTheLeaseAndKeepsTheEpoch() {
        Lease lease = claimed(Api.freshLane());
        long before = System.currentTimeMillis();
        JsonPath renewed = Api.expect(lease.renew(120_000), 200);

        assertEquals(lease.epoch(), renewed.getLong("lease_epoch"));
        long expires = renewed.getLong("lease_expires_at_ms");
        assertTrue(expires >= before + 120_000 && expires <= System.currentTimeMillis() + 120_000);
        assertEquals(expires, Api.view(lease.executionId()).getLong("current_lease.lease_expires_at_ms"));
    }

    @Test
    void renewWithoutTtlUsesTheDefault() {
        Lease lease = claimed(Api.freshLane());
        long before = System.currentTimeMillis();
        long expires = Api.expect(lease.renew(), 200).getLong("lease_expires_at_ms");
        assertTrue(expires >= before + 30_000 && expires <= System.currentTimeMillis() + 30_000);
    }

    @Test
    void renewTtlIsValidated() {
        Lease lease = claimed(Api.freshLane());
        assertProblem(lease.renew(999), 400, "invalid_input");
        assertProblem(lease.renew(3_600_001), 400, "invalid_input");
    }

    @Test
    void progressIsRecordedAndShownInTheView() {
        Lease lease = claimed(Api.freshLane());
        Response r = lease.progress(40, "downloading");
        assertEquals(204, r.statusCode());
        assertEquals("", r.asString());

        JsonPath view = Api.view(lease.executionId());
        assertEquals(40, view.getInt("progress.percent"));
        assertEquals("downloading", view.getString("progress.message"));
        assertProblem(lease.progress(101, "x"), 400, "invalid_input");
        assertProblem(lease.progress(-1, "x"), 400, "invalid_input");
    }

    @Test
    void completeStoresTheResultAndEndsTheAttempt() {
        Lease lease = claimed(Api.freshLane());
        JsonPath view = Api.expect(lease.complete(Map.of("rows", List.of(1, 2, 3))), 200);

        assertEquals("completed", view.getString("public_state"));
        assertEquals("success", view.getString("terminal_outcome"));
        assertEquals(List.of(1, 2, 3), view.getList("result.rows"));
        assertNull(view.get("current_lease"));
        JsonPath attempt = Api.attempts(lease.executionId()).setRootPath("attempts[0]");
        assertEquals("success", attempt.getString("outcome"));
        assertEquals("worker-a", attempt.getString("worker_id"));
        assertEquals(lease.epoch(), attempt.getLong("lease_epoch"));
        assertTrue(attempt.getLong("terminal_at_ms") >= attempt.getLong("started_at_ms"));
    }

    @Test
    void anyJsonValueIsAResult() {
        String lane = Api.freshLane();
        for (Object result : List.of(List.of("a", "b"), "text", 7, false)) {
            Lease lease = claimed(lane);
            Api.expect(lease.complete(result), 200);
            assertEquals(result, Api.view(lease.executionId()).get("result"), "result " + result);
        }
    }

    @Test
    void completeWithoutResultLeavesItNull() {
        Lease lease = claimed(Api.freshLane());
        JsonPath view = Api.expect(lease.complete(null), 200);
        assertEquals("completed", view.getString("public_state"));
        assertNull(view.get("result"));
    }

    @Test
    void failStoresTheErrorAsAnObject() {
        Lease lease = claimed(Api.freshLane());
        assertEquals("failed", Api.expect(lease.fail("infra"), 200).getString("outcome"));

        JsonPath view = Api.view(lease.executionId());
        assertEquals("failed", view.getString("public_state"));
        assertEquals(Map.of("message", "boom", "category", "infra"), view.getMap("last_error"));
        assertEquals(Map.of("message", "boom", "category", "infra"),
                Api.attempts(lease.executionId()).getMap("attempts[0].error"));
        assertEquals("failed", Api.attempts(lease.executionId()).getString("attempts[0].outcome"));
        assertEquals("object", db.row("SELECT jsonb_typeof(last_error) AS t FROM ff_exec_core WHERE execution_id = $1",
                lease.executionId()).get("t"));
    }

    @Test
    void failIsValidated() {
        Lease lease = claimed(Api.freshLane());
        String path = "/v1/executions/" + lease.executionId() + "/fail";
        Map<String, Object> noError = lease.fence();
        assertProblem(Api.post(path, noError), 400, "invalid_input");
        Map<String, Object> badCategory = lease.fence();
        badCategory.put("error", Map.of("message", "m", "category", "cosmic"));
        assertProblem(Api.post(path, badCategory), 400, "invalid_input");
        Map<String, Object> noMessage = lease.fence();
        noMessage.put("error", Map.of("category", "transient"));
        assertProblem(Api.post(path, noMessage), 400, "invalid_input");
        assertEquals("active", Api.publicState(lease.executionId()), "nothing changed");
    }

    @Test
    void delayReleasesTheLeaseUntilTheTime() {
        String lane = Api.freshLane();
        Lease lease = claimed(lane);
        long until = System.currentTimeMillis() + 3_600_000;
        JsonPath view = Api.expect(lease.delay(until), 200);

        assertEquals("delayed", view.getString("public_state"));
        assertEquals(until, view.getLong("delay_until_ms"));
        assertNull(view.get("current_lease"));
        assertNull(Api.attempts(lease.executionId()).get("attempts[0].outcome"), "the attempt continues later");
        Claim.on(lane).none();
    }

    @Test
    void delayIntoThePastIsClaimableAtOnceAsAResume() {
        String lane = Api.freshLane();
        Lease lease = claimed(lane);
        JsonPath view = Api.expect(lease.delay(System.currentTimeMillis() - 1), 200);
        assertEquals("waiting", view.getString("public_state"));

        Lease resumed = Claim.on(lane).one();
        assertEquals("resume", resumed.attemptType());
        assertEquals(0, resumed.attemptIndex());
        assertEquals(1, Api.view(lease.executionId()).getInt("attempt_count"), "a resume is not a new attempt");
    }

    @Test
    void workerCancelEndsTheExecution() {
        Lease lease = claimed(Api.freshLane());
        JsonPath view = Api.expect(lease.cancel("not needed"), 200);
        assertEquals("cancelled", view.getString("public_state"));
        assertEquals("cancelled", Api.attempts(lease.executionId()).getString("attempts[0].outcome"));
    }

    @Test
    void cancelWithHalfAFenceIsRejected() {
        Lease lease = claimed(Api.freshLane());
        assertProblem(Api.post("/v1/executions/" + lease.executionId() + "/cancel",
                Map.of("lease_id", lease.leaseId().toString())), 400, "invalid_input");
        assertProblem(Api.post("/v1/executions/" + lease.executionId() + "/cancel",
                Map.of("lease_epoch", lease.epoch())), 400, "invalid_input");
        assertEquals("active", Api.publicState(lease.executionId()));
    }

    @Test
    void fenceFieldsAreRequired() {
        Lease lease = claimed(Api.freshLane());
        for (String verb : List.of("renew", "progress", "complete", "fail", "delay")) {
            assertProblem(Api.post("/v1/executions/" + lease.executionId() + "/" + verb,
                    Map.of("lease_epoch", lease.epoch())), 400, "invalid_input");
            assertProblem(Api.post("/v1/executions/" + lease.executionId() + "/" + verb,
                    Map.of("lease_id", lease.leaseId().toString())), 400, "invalid_input");
        }
        assertProblem(lease.withFence(lease.leaseId(), 0).renew(), 400, "invalid_input");
        assertEquals("active", Api.publicState(lease.executionId()));
    }

    @Test
    void callsOnAnotherExecutionsIdAreNotAccepted() {
        String lane = Api.freshLane();
        Lease mine = claimed(lane);
        Lease other = claimed(lane);
        Lease crossed = new Lease(other.executionId(), mine.leaseId(), mine.epoch(), 0, "initial", 0, 0);
        assertProblem(crossed.complete(null), 409, "stale_lease");
        assertEquals("active", Api.publicState(other.executionId()));
        assertEquals("active", Api.publicState(mine.executionId()));
    }
}
