package dev.flowfabric.coordinator.state;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import dev.flowfabric.coordinator.support.SweepRunner;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stored state vector after every transition matches model.md §2, read straight from
 * {@code ff_exec_core}; and the view shows the same columns.
 */
@QuarkusTest
class StateVectorTest {

    private static final long HOUR = 3_600_000;

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    /** lifecycle_phase, ownership_state, eligibility_state, attempt_state, terminal_outcome, public_state. */
    private void assertVector(UUID id, String... expected) {
        Map<String, Object> row = db.execCore(id);
        Map<String, Object> actual = new LinkedHashMap<>();
        for (String column : new String[] {"lifecycle_phase", "ownership_state", "eligibility_state", "attempt_state",
                "terminal_outcome", "public_state"}) {
            actual.put(column, row.get(column));
        }
        assertEquals(Arrays.asList(expected), actual.values().stream().toList(), "stored vector " + actual);
        var view = Api.view(id);
        assertEquals(row.get("public_state"), view.getString("public_state"));
        assertEquals(row.get("lifecycle_phase"), view.getString("lifecycle_phase"));
        assertEquals(row.get("ownership_state"), view.getString("ownership_state"));
        assertEquals(row.get("eligibility_state"), view.getString("eligibility_state"));
        assertEquals(row.get("attempt_state"), view.getString("attempt_state"));
        assertEquals(row.get("terminal_outcome"), view.getString("terminal_outcome"));
    }

    @Test
    void createClaimComplete() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        assertVector(id, "runnable", "unowned", "eligible_now", "pending_first_attempt", null, "waiting");

        Lease lease = Claim.on(lane).one();
        assertVector(id, "active", "leased", "not_applicable", "running_attempt", null, "active");

        Api.expect(lease.complete(null), 200);
        assertVector(id, "terminal", "unowned", "not_applicable", "attempt_terminal", "success", "completed");
    }

    @Test
    void delayedStartThenPromoted() {
        String lane = Api.freshLane();
        long until = System.currentTimeMillis() + HOUR;
        UUID id = NewExecution.on(lane).delayUntil(until).create();
        assertVector(id, "runnable", "unowned", "not_eligible_until_time", "pending_first_attempt", null, "delayed");

        sweeps.promoteDelayed(until);
        assertVector(id, "runnable", "unowned", "eligible_now", "pending_first_attempt", null, "waiting");
    }

    @Test
    void failWithRetriesLeftThenRetryThenFinalFailure() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(1, "fixed", HOUR, HOUR, 1.0).create();
        Api.expect(Claim.on(lane).one().fail("transient"), 200);
        assertVector(id, "runnable", "unowned", "not_eligible_until_time", "pending_retry_attempt", null, "delayed");

        sweeps.promoteDelayed((Long) db.execCore(id).get("delay_until_ms"));
        assertVector(id, "runnable", "unowned", "eligible_now", "pending_retry_attempt", null, "waiting");

        Api.expect(Claim.on(lane).one().fail("transient"), 200);
        assertVector(id, "terminal", "unowned", "not_applicable", "attempt_terminal", "failed", "failed");
    }

    @Test
    void workerDelayParksTheAttempt() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Api.expect(Claim.on(lane).one().delay(System.currentTimeMillis() + HOUR), 200);
        assertVector(id, "runnable", "unowned", "not_eligible_until_time", "attempt_interrupted", null, "delayed");
    }

    @Test
    void leaseExpiryAndRevokeMakeItReclaimable() {
        String lane = Api.freshLane();
        UUID expired = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).ttl(60_000).one();
        sweeps.expireLeases(lease.expiresAtMs());
        assertVector(expired, "runnable", "lease_expired_reclaimable", "eligible_now", "attempt_interrupted", null,
                "waiting");

        Claim.on(lane).one();
        Api.expect(Api.post("/v1/executions/" + expired + "/revoke-lease", Map.of()), 200);
        assertVector(expired, "runnable", "lease_revoked", "eligible_now", "attempt_interrupted", null, "waiting");

        Claim.on(lane).one();
        assertVector(expired, "active", "leased", "not_applicable", "running_attempt", null, "active");
    }

    @Test
    void cancelThenReplay() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Claim.on(lane).one();
        Api.expect(Api.post("/v1/executions/" + id + "/cancel", Map.of()), 200);
        assertVector(id, "terminal", "unowned", "not_applicable", "attempt_terminal", "cancelled", "cancelled");

        Api.expect(Api.post("/v1/executions/" + id + "/replay", Map.of()), 200);
        assertVector(id, "runnable", "unowned", "eligible_now", "pending_replay_attempt", null, "waiting");
    }

    @Test
    void timeoutAndDeadlineExpire() {
        String lane = Api.freshLane();
        long deadline = System.currentTimeMillis() + HOUR;
        UUID id = NewExecution.on(lane).deadline(deadline).create();
        sweeps.timeOut(deadline);
        assertVector(id, "terminal", "unowned", "not_applicable", "attempt_terminal", "expired", "expired");
    }

    /** public_state is derived by the database from the other columns, whatever a statement writes. */
    @Test
    void publicStateCannotBePatchedByHand() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        db.update("UPDATE ff_exec_core SET public_state = 'completed' WHERE execution_id = $1", id);
        assertEquals("waiting", db.execCore(id).get("public_state"));

        db.update("UPDATE ff_exec_core SET eligibility_state = 'blocked_by_budget' WHERE execution_id = $1", id);
        assertEquals("rate_limited", db.execCore(id).get("public_state"));
        db.update("UPDATE ff_exec_core SET eligibility_state = 'blocked_by_dependencies' WHERE execution_id = $1", id);
        assertEquals("waiting_children", db.execCore(id).get("public_state"));
        db.update("UPDATE ff_exec_core SET lifecycle_phase = 'suspended' WHERE execution_id = $1", id);
        assertEquals("suspended", db.execCore(id).get("public_state"));
        db.update("""
                UPDATE ff_exec_core SET lifecycle_phase = 'terminal', terminal_outcome = 'skipped'
                WHERE execution_id = $1""", id);
        assertEquals("skipped", db.execCore(id).get("public_state"));
    }

    @Test
    void seededRowsGetTheirPublicStateDerivedToo() {
        UUID id = UUID.randomUUID();
        db.update("""
                INSERT INTO ff_exec_core (partition_key, execution_id, flow_id, lane_id, attempt_index,
                    lifecycle_phase, ownership_state, eligibility_state, public_state, attempt_state,
                    priority, created_at_ms, raw_fields)
                VALUES (0, $1, NULL, $2, 0, 'runnable', 'unowned', 'not_eligible_until_time', 'waiting',
                        'pending_first_attempt', 0, $3, '{}'::jsonb)""", id, Api.freshLane(),
                System.currentTimeMillis());
        assertEquals("delayed", db.execCore(id).get("public_state"));
        assertEquals("default", db.row("SELECT namespace FROM ff_exec_core WHERE execution_id = $1", id)
                .get("namespace"));
    }
}
