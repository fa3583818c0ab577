package dev.flowfabric.coordinator.ops;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Operator controls (api.md §1.4): cancel, priority, replay, revoke-lease. */
@QuarkusTest
class OperatorControlsTest {

    private static Response cancel(UUID id) {
        return Api.post("/v1/executions/" + id + "/cancel", Map.of("reason", "operator says so"));
    }

    private static Response priority(UUID id, Object priority) {
        return Api.put("/v1/executions/" + id + "/priority", Map.of("priority", priority));
    }

    private static Response replay(UUID id) {
        return Api.post("/v1/executions/" + id + "/replay", Map.of("reason", "again"));
    }

    private static Response revoke(UUID id) {
        return Api.post("/v1/executions/" + id + "/revoke-lease", Map.of("reason", "stuck"));
    }

    // ---- cancel -------------------------------------------------------------------------------

    @Test
    void cancelAWaitingExecution() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        JsonPath view = Api.expect(cancel(id), 200);

        assertEquals("cancelled", view.getString("public_state"));
        assertEquals("cancelled", view.getString("terminal_outcome"));
        assertTrue(view.getLong("terminal_at_ms") > 0);
        assertEquals(List.of(), Api.attempts(id).getList("attempts"));
        Claim.on(lane).none();
    }

    @Test
    void cancelADelayedExecution() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).delayUntil(System.currentTimeMillis() + 3_600_000).create();
        assertEquals("cancelled", Api.expect(cancel(id), 200).getString("public_state"));
    }

    @Test
    void cancelAnActiveExecutionEndsItsLease() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();

        JsonPath view = Api.expect(cancel(id), 200);
        assertEquals("cancelled", view.getString("public_state"));
        assertNull(view.get("current_lease"));
        assertEquals("cancelled", Api.attempts(id).getString("attempts[0].outcome"));

        JsonPath refused = assertProblem(lease.renew(), 409, "execution_not_active");
        assertEquals("cancelled", refused.getString("public_state"));
        assertEquals("cancelled", refused.getString("terminal_outcome"));
        assertProblem(lease.complete(null), 409, "execution_not_active");
    }

    @Test
    void cancellingACancelledExecutionChangesNothing() {
        UUID id = NewExecution.on(Api.freshLane()).create();
        String first = Api.expect(cancel(id), 200).prettify();
        String again = Api.expect(cancel(id), 200).prettify();
        assertEquals(first, again);
    }

    @Test
    void cancellingACompletedOrFailedExecutionIsAConflict() {
        String lane = Api.freshLane();
        UUID done = NewExecution.on(lane).create();
        Api.expect(Claim.on(lane).one().complete(null), 200);
        JsonPath p = assertProblem(cancel(done), 409, "execution_not_active");
        assertEquals("completed", p.getString("public_state"));
        assertEquals("success", p.getString("terminal_outcome"));

        UUID failed = NewExecution.on(lane).create();
        Api.expect(Claim.on(lane).one().fail("permanent"), 200);
        assertEquals("failed", assertProblem(cancel(failed), 409, "execution_not_active")
                .getString("terminal_outcome"));
        assertEquals("completed", Api.publicState(done), "unchanged");
    }

    @Test
    void cancelOfAnUnknownExecutionIs404() {
        assertProblem(cancel(UUID.randomUUID()), 404, "not_found");
    }

    // ---- priority -----------------------------------------------------------------------------

    @Test
    void priorityChangesWhileWaitingAndReordersClaims() {
        String lane = Api.freshLane();
        UUID first = NewExecution.on(lane).priority(10).create();
        UUID second = NewExecution.on(lane).priority(10).create();

        assertEquals(500, Api.expect(priority(second, 500), 200).getInt("priority"));
        assertEquals(second, Claim.on(lane).one().executionId());
        assertEquals(first, Claim.on(lane).one().executionId());
    }

    @Test
    void priorityChangesWhileDelayed() {
        UUID id = NewExecution.on(Api.freshLane()).delayUntil(System.currentTimeMillis() + 3_600_000).create();
        assertEquals(7, Api.expect(priority(id, 7), 200).getInt("priority"));
    }

    @Test
    void priorityOfAnActiveOrTerminalExecutionIsNotRunnable() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();
        assertEquals("active", assertProblem(priority(id, 5), 409, "not_runnable").getString("public_state"));
        Api.expect(lease.complete(null), 200);
        assertEquals("completed", assertProblem(priority(id, 5), 409, "not_runnable").getString("public_state"));
        assertEquals(0, Api.view(id).getInt("priority"));
    }

    @Test
    void priorityIsValidated() {
        UUID id = NewExecution.on(Api.freshLane()).create();
        assertProblem(priority(id, -1), 400, "invalid_input");
        assertProblem(priority(id, 9001), 400, "invalid_input");
        assertProblem(priority(id, "high"), 400, "invalid_input");
        assertProblem(priority(UUID.randomUUID(), 1), 404, "not_found");
        assertEquals(9000, Api.expect(priority(id, 9000), 200).getInt("priority"));
    }

    // ---- replay -------------------------------------------------------------------------------

    @Test
    void replayOfACompletedExecutionRunsAgainAsAReplayAttempt() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease first = Claim.on(lane).one();
        Api.expect(first.complete(Map.of("v", 1)), 200);

        JsonPath view = Api.expect(replay(id), 200);
        assertEquals("waiting", view.getString("public_state"));
        assertEquals("pending_replay_attempt", view.getString("attempt_state"));
        assertNull(view.get("terminal_outcome"));
        assertNull(view.get("terminal_at_ms"));
        assertNull(view.get("result"));

        Lease again = Claim.on(lane).one();
        assertEquals("replay", again.attemptType());
        assertEquals(1, again.attemptIndex());
        assertTrue(again.epoch() > first.epoch());
        assertProblem(first.renew(), 409, "stale_lease");
        // The first holder repeating its own successful complete is still told it succeeded; nothing changes.
        Api.expect(first.complete(Map.of("v", 1)), 200);
        assertEquals("active", Api.publicState(id));
        Api.expect(again.complete(Map.of("v", 2)), 200);
        assertEquals(List.of("initial", "replay"), Api.attempts(id).getList("attempts.attempt_type"));
        assertEquals(2, Api.view(id).getInt("result.v"));
    }

    @Test
    void replayOfFailedCancelledAndExpiredExecutions() {
        String lane = Api.freshLane();
        UUID failed = NewExecution.on(lane).create();
        Api.expect(Claim.on(lane).one().fail("permanent"), 200);
        UUID cancelledBeforeAnyClaim = NewExecution.on(lane).create();
        Api.expect(cancel(cancelledBeforeAnyClaim), 200);

        Api.expect(replay(failed), 200);
        Api.expect(replay(cancelledBeforeAnyClaim), 200);

        Lease a = Claim.on(lane).one();
        Lease b = Claim.on(lane).one();
        Map<UUID, Lease> byId = Map.of(a.executionId(), a, b.executionId(), b);
        assertEquals("replay", byId.get(failed).attemptType());
        assertEquals(1, byId.get(failed).attemptIndex());
        assertEquals("replay", byId.get(cancelledBeforeAnyClaim).attemptType());
        assertEquals(0, byId.get(cancelledBeforeAnyClaim).attemptIndex(), "it never had an attempt");
    }

    @Test
    void replayOfANonTerminalExecutionIsNotTerminal() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        assertEquals("waiting", assertProblem(replay(id), 409, "execution_not_terminal").getString("public_state"));
        Claim.on(lane).one();
        assertProblem(replay(id), 409, "execution_not_terminal");
        assertProblem(replay(UUID.randomUUID()), 404, "not_found");
    }

    // ---- revoke-lease -------------------------------------------------------------------------

    @Test
    void revokeEndsTheAttemptAndTheNextClaimIsAReclaim() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();

        JsonPath view = Api.expect(revoke(id), 200);
        assertEquals("waiting", view.getString("public_state"));
        assertEquals("lease_revoked", view.getString("ownership_state"));
        assertNull(view.get("current_lease"));
        assertEquals("interrupted", Api.attempts(id).getString("attempts[0].outcome"));

        Lease next = Claim.on(lane).worker("worker-b").one();
        assertEquals("reclaim", next.attemptType());
        assertEquals(1, next.attemptIndex());
        assertTrue(next.epoch() > lease.epoch());
        assertProblem(lease.complete(null), 409, "lease_revoked");
        Api.expect(next.complete(null), 200);
        assertEquals(1, Api.view(id).getInt("reclaim_count"));
    }

    @Test
    void revokeOnlyWhileActive() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        assertEquals("waiting", assertProblem(revoke(id), 409, "not_runnable").getString("public_state"));
        Api.expect(Claim.on(lane).one().complete(null), 200);
        assertEquals("completed", assertProblem(revoke(id), 409, "not_runnable").getString("public_state"));
        assertProblem(revoke(UUID.randomUUID()), 404, "not_found");
    }
}
