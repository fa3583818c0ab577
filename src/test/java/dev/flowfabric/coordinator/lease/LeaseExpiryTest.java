package dev.flowfabric.coordinator.lease;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import dev.flowfabric.coordinator.support.SweepRunner;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker that dies loses nothing (model.md §3): the lease-expiry sweep makes its execution
 * claimable again, the next claim is a {@code reclaim} with a higher epoch, and the dead worker's
 * late calls are refused.
 */
@QuarkusTest
class LeaseExpiryTest {

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    @Test
    void expiredLeaseIsReclaimedAsANewAttemptWithAHigherEpoch() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease dead = Claim.on(lane).worker("dead").ttl(60_000).one();

        sweeps.expireLeases(dead.expiresAtMs() - 1);
        assertEquals("active", Api.publicState(id), "not before the lease lapsed");
        sweeps.expireLeases(dead.expiresAtMs());

        JsonPath view = Api.view(id);
        assertEquals("waiting", view.getString("public_state"));
        assertEquals("lease_expired_reclaimable", view.getString("ownership_state"));
        assertEquals(0, view.getInt("reclaim_count"));
        assertEquals("lease_expired", Api.attempts(id).getString("attempts[0].outcome"));
        Map<String, Object> attempt = db.attemptRows(id).get(0);
        assertNull(attempt.get("lease_expires_at_ms"), "no live lease left");
        assertEquals(dead.expiresAtMs(), attempt.get("terminal_at_ms"), "ended at the sweep's now");

        Lease alive = Claim.on(lane).worker("alive").one();
        assertEquals(id, alive.executionId());
        assertEquals("reclaim", alive.attemptType());
        assertEquals(1, alive.attemptIndex());
        assertTrue(alive.epoch() > dead.epoch());

        assertProblem(dead.complete(null), 409, "lease_expired");
        Api.expect(alive.complete(null), 200);
        JsonPath done = Api.view(id);
        assertEquals("completed", done.getString("public_state"));
        assertEquals(2, done.getInt("attempt_count"));
        assertEquals(1, done.getInt("reclaim_count"));
        assertEquals(0, done.getInt("retry_count"));
        assertEquals(List.of("initial", "reclaim"), Api.attempts(id).getList("attempts.attempt_type"));
    }

    @Test
    void reclaimsAreNotRetries() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create(); // no retry policy
        for (int i = 0; i < 3; i++) {
            Lease lease = Claim.on(lane).ttl(60_000).one();
            assertEquals(i, lease.attemptIndex());
            sweeps.expireLeases(lease.expiresAtMs());
        }
        Lease last = Claim.on(lane).one();
        assertEquals(3, last.attemptIndex());
        Api.expect(last.complete(null), 200);
        JsonPath view = Api.view(id);
        assertEquals(3, view.getInt("reclaim_count"));
        assertEquals(4, view.getInt("attempt_count"));
    }

    @Test
    void renewedLeaseDoesNotExpireAtItsFirstDeadline() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).ttl(30_000).one();
        long renewedUntil = Api.expect(lease.renew(120_000), 200).getLong("lease_expires_at_ms");

        sweeps.expireLeases(lease.expiresAtMs());
        assertEquals("active", Api.publicState(id));
        sweeps.expireLeases(renewedUntil);
        assertEquals("waiting", Api.publicState(id));
    }

    @Test
    void aParkedOrFinishedExecutionIsNotTouched() {
        String lane = Api.freshLane();
        UUID delayed = NewExecution.on(lane).create();
        Api.expect(Claim.on(lane).one().delay(System.currentTimeMillis() + 3_600_000), 200);
        UUID completed = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();
        Api.expect(lease.complete(null), 200);

        sweeps.expireLeases(lease.expiresAtMs() + 60_000);
        assertEquals("delayed", Api.publicState(delayed));
        assertEquals("completed", Api.publicState(completed));
        assertEquals(List.of("success"), Api.attempts(completed).getList("attempts.outcome"));
    }

    /** The scheduled sweep does it by itself: claimable again within TTL plus about one interval (1 s). */
    @Test
    void deadWorkersExecutionIsClaimableAgainWithoutHelp() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease dead = Claim.on(lane).ttl(1000).one();

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> "waiting".equals(Api.publicState(id)));
        long reclaimableAfter = System.currentTimeMillis() - dead.expiresAtMs();
        // One interval is 1 s; the slack is for a busy shared machine.
        assertTrue(reclaimableAfter < 5000, "reclaimable " + reclaimableAfter + " ms after the lease lapsed");
        assertEquals("reclaim", Claim.on(lane).one().attemptType());
    }
}
