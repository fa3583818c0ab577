package dev.flowfabric.coordinator.lease;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import dev.flowfabric.coordinator.support.SweepRunner;
import dev.flowfabric.coordinator.sweep.LeaseExpirySweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fence (api.md §2.3) on every fenced worker call: the four 409 kinds, their precedence, epochs
 * that only grow, idempotent replays and 404 for an unknown execution.
 */
@QuarkusTest
class FenceTest {

    /** Every fenced call, as a worker holding {@code lease} would send it. */
    private static final Map<String, Function<Lease, Response>> CALLS = new LinkedHashMap<>();

    static {
        CALLS.put("renew", Lease::renew);
        CALLS.put("progress", l -> l.progress(50, "half"));
        CALLS.put("complete", l -> l.complete(Map.of("ok", true)));
        CALLS.put("fail", l -> l.fail("transient"));
        CALLS.put("delay", l -> l.delay(System.currentTimeMillis() + 3_600_000));
        CALLS.put("cancel", l -> l.cancel("worker gave up"));
    }

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    private static Lease claimedOn(String lane, long ttlMs) {
        NewExecution.on(lane).retries(3, "fixed", 0, 0, 1.0).create();
        return Claim.on(lane).ttl(ttlMs).one();
    }

    /** Each call must get the 409 {@code kind}; {@code lease} is re-read for every call. */
    private static void everyCallRefused(Function<String, Lease> leaseFor, String kind) {
        for (var call : CALLS.entrySet()) {
            Response r = call.getValue().apply(leaseFor.apply(call.getKey()));
            try {
                assertProblem(r, 409, kind);
            } catch (AssertionError e) {
                throw new AssertionError(call.getKey() + ": " + e.getMessage(), e);
            }
        }
    }

    // ---- 1. execution_not_active --------------------------------------------------------------

    @Test
    void operatorCancelledExecutionRefusesItsHolderWithNotActive() {
        String lane = Api.freshLane();
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < CALLS.size(); i++) {
            leases.add(claimedOn(lane, 60_000));
        }
        leases.forEach(l -> Api.expect(Api.post("/v1/executions/" + l.executionId() + "/cancel",
                Map.of("reason", "operator")), 200));

        var it = leases.iterator();
        for (var call : CALLS.entrySet()) {
            JsonPath p = assertProblem(call.getValue().apply(it.next()), 409, "execution_not_active");
            assertEquals("cancelled", p.getString("public_state"), call.getKey());
            assertEquals("cancelled", p.getString("terminal_outcome"), call.getKey());
        }
    }

    @Test
    void completedExecutionRefusesEveryOtherCallWithNotActive() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        Api.expect(lease.complete(Map.of("n", 1)), 200);

        for (var call : CALLS.entrySet()) {
            if (call.getKey().equals("complete")) {
                continue; // a replay, see completeIsIdempotentForItsOwnFence
            }
            JsonPath p = assertProblem(call.getValue().apply(lease), 409, "execution_not_active");
            assertEquals("completed", p.getString("public_state"));
            assertEquals("success", p.getString("terminal_outcome"));
        }
        // A fence that never held it: terminal still comes first.
        JsonPath p = assertProblem(lease.withFence(UUID.randomUUID(), 1).complete(null), 409, "execution_not_active");
        assertEquals("completed", p.getString("public_state"));
    }

    @Test
    void failedExecutionRefusesWithNotActiveAndItsOutcome() {
        String lane = Api.freshLane();
        NewExecution.on(lane).create(); // no retry policy: a failure is final
        Lease lease = Claim.on(lane).one();
        assertEquals("failed", Api.expect(lease.fail("transient"), 200).getString("outcome"));

        JsonPath p = assertProblem(lease.renew(), 409, "execution_not_active");
        assertEquals("failed", p.getString("public_state"));
        assertEquals("failed", p.getString("terminal_outcome"));
    }

    // ---- 2. lease_revoked ---------------------------------------------------------------------

    @Test
    void revokedLeaseIsRefusedWithLeaseRevokedBeforeAndAfterAReclaim() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        Api.expect(Api.post("/v1/executions/" + lease.executionId() + "/revoke-lease", Map.of("reason", "op")), 200);

        everyCallRefused(call -> lease, "lease_revoked");

        Lease next = Claim.on(lane).worker("worker-b").one();
        assertEquals("reclaim", next.attemptType());
        everyCallRefused(call -> lease, "lease_revoked");
        Api.expect(next.renew(), 200);
    }

    // ---- 3. lease_expired ---------------------------------------------------------------------

    @Test
    void lapsedLeaseIsExpiredEvenBeforeTheSweepRan() {
        String lane = Api.freshLane();
        try (SweepRunner.Paused paused = sweeps.pauseScheduled(LeaseExpirySweep.class)) {
            Lease lease = claimedOn(lane, 1000);
            await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > lease.expiresAtMs() + 5);

            everyCallRefused(call -> lease, "lease_expired");

            Map<String, Object> exec = db.execCore(lease.executionId());
            assertEquals("active", exec.get("lifecycle_phase"), "the sweep has not run");
            assertNull(db.attemptRows(lease.executionId()).get(0).get("outcome"));
        }
    }

    @Test
    void lapsedLeaseIsExpiredAfterTheSweep() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        sweeps.expireLeases(lease.expiresAtMs());
        assertEquals("lease_expired", db.attemptRows(lease.executionId()).get(0).get("outcome"));

        everyCallRefused(call -> lease, "lease_expired");
    }

    @Test
    void lapsedLeaseIsExpiredAfterAnotherWorkerReclaimed() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        sweeps.expireLeases(lease.expiresAtMs());
        Lease next = Claim.on(lane).worker("worker-b").one();

        everyCallRefused(call -> lease, "lease_expired");
        Api.expect(next.complete(null), 200);
    }

    // ---- 4. stale_lease -----------------------------------------------------------------------

    @Test
    void olderOrOtherEpochIsStale() {
        String lane = Api.freshLane();
        Lease first = claimedOn(lane, 60_000);
        Api.expect(Api.post("/v1/executions/" + first.executionId() + "/revoke-lease", Map.of()), 200);
        Lease lease = Claim.on(lane).one();
        assertTrue(lease.epoch() > 2, "a re-lease has epochs below it");
        everyCallRefused(call -> lease.withFence(lease.leaseId(), lease.epoch() - 1), "stale_lease");
        everyCallRefused(call -> lease.withFence(lease.leaseId(), lease.epoch() + 1), "stale_lease");
        Api.expect(lease.renew(), 200);
    }

    @Test
    void unknownLeaseIdIsStale() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        everyCallRefused(call -> lease.withFence(UUID.randomUUID(), lease.epoch()), "stale_lease");
    }

    @Test
    void leaseGivenUpByDelayIsStaleAndStaysStaleAfterTheResume() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        long until = System.currentTimeMillis() + 3_600_000;
        assertEquals("delayed", Api.expect(lease.delay(until), 200).getString("public_state"));

        everyCallRefused(call -> lease, "stale_lease");

        sweeps.promoteDelayed(until);
        Lease resumed = Claim.on(lane).one();
        assertEquals("resume", resumed.attemptType());
        assertEquals(lease.attemptIndex(), resumed.attemptIndex());
        assertTrue(resumed.epoch() > lease.epoch());
        everyCallRefused(call -> lease, "stale_lease");
        Api.expect(resumed.renew(), 200);
    }

    // ---- precedence ---------------------------------------------------------------------------

    @Test
    void terminalOutranksRevokedAndExpired() {
        String lane = Api.freshLane();
        Lease revoked = claimedOn(lane, 60_000);
        Api.expect(Api.post("/v1/executions/" + revoked.executionId() + "/revoke-lease", Map.of()), 200);
        Api.expect(Api.post("/v1/executions/" + revoked.executionId() + "/cancel", Map.of()), 200);
        everyCallRefused(call -> revoked, "execution_not_active");

        String lane2 = Api.freshLane();
        Lease expired = claimedOn(lane2, 60_000);
        sweeps.expireLeases(expired.expiresAtMs());
        Api.expect(Claim.on(lane2).worker("worker-b").one().complete(null), 200);
        everyCallRefused(call -> expired, "execution_not_active");
    }

    @Test
    void revokedOutranksExpired() {
        String lane = Api.freshLane();
        try (SweepRunner.Paused paused = sweeps.pauseScheduled(LeaseExpirySweep.class)) {
            Lease lease = claimedOn(lane, 1000);
            Api.expect(Api.post("/v1/executions/" + lease.executionId() + "/revoke-lease", Map.of()), 200);
            await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > lease.expiresAtMs() + 5);
            everyCallRefused(call -> lease, "lease_revoked");
        }
    }

    // ---- epochs -------------------------------------------------------------------------------

    @Test
    void epochsGrowAcrossEveryAttemptAndReLease() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(5, "fixed", 0, 0, 1.0).create();
        List<Lease> leases = new ArrayList<>();

        Lease l = Claim.on(lane).one();                                   // initial, attempt 0
        leases.add(l);
        long until = System.currentTimeMillis() + 3_600_000;
        Api.expect(l.delay(until), 200);
        sweeps.promoteDelayed(until);
        l = Claim.on(lane).one();                                         // resume, attempt 0
        leases.add(l);
        Api.expect(Api.post("/v1/executions/" + id + "/revoke-lease", Map.of()), 200);
        l = Claim.on(lane).one();                                         // reclaim, attempt 1
        leases.add(l);
        Api.expect(l.fail("transient"), 200);
        l = Claim.on(lane).ttl(60_000).one();                             // retry, attempt 2
        leases.add(l);
        sweeps.expireLeases(l.expiresAtMs());
        l = Claim.on(lane).one();                                         // reclaim, attempt 3
        leases.add(l);
        Api.expect(l.complete(null), 200);
        Api.expect(Api.post("/v1/executions/" + id + "/replay", Map.of()), 200);
        l = Claim.on(lane).one();                                         // replay, attempt 4
        leases.add(l);

        assertEquals(List.of("initial", "resume", "reclaim", "retry", "reclaim", "replay"),
                leases.stream().map(Lease::attemptType).toList());
        assertEquals(List.of(0, 0, 1, 2, 3, 4), leases.stream().map(Lease::attemptIndex).toList());
        for (int i = 1; i < leases.size(); i++) {
            assertTrue(leases.get(i).epoch() > leases.get(i - 1).epoch(), "epoch of lease " + i + ": "
                    + leases.stream().map(Lease::epoch).toList());
        }
        assertEquals(leases.stream().map(Lease::leaseId).distinct().count(), (long) leases.size(), "fresh lease ids");
        assertEquals(List.of("initial", "reclaim", "retry", "reclaim", "replay"),
                Api.attempts(id).getList("attempts.attempt_type"), "stored attempt types");
    }

    // ---- replays ------------------------------------------------------------------------------

    @Test
    void completeIsIdempotentForItsOwnFence() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        String first = Api.expect(lease.complete(Map.of("answer", 42)), 200).prettify();
        String again = Api.expect(lease.complete(Map.of("answer", 42)), 200).prettify();
        assertEquals(first, again);
        assertEquals(42, Api.view(lease.executionId()).getInt("result.answer"));
    }

    @Test
    void failIsIdempotentWithTheSameAnswer() {
        String lane = Api.freshLane();
        NewExecution.on(lane).retries(2, "fixed", 60_000, 60_000, 1.0).create();
        Lease retrying = Claim.on(lane).one();
        JsonPath first = Api.expect(retrying.fail("transient"), 200);
        JsonPath again = Api.expect(retrying.fail("transient"), 200);
        assertEquals("retry_scheduled", first.getString("outcome"));
        assertEquals(first.prettify(), again.prettify());
        assertEquals(1, db.attemptRows(retrying.executionId()).size(), "no second retry scheduled");

        NewExecution.on(lane).create();
        Lease failing = Claim.on(lane).one();
        assertEquals(Map.of("outcome", "failed"), Api.expect(failing.fail("permanent"), 200).getMap(""));
        assertEquals(Map.of("outcome", "failed"), Api.expect(failing.fail("permanent"), 200).getMap(""));
    }

    /**
     * Only complete and fail promise replays. A repeated worker cancel is answered like any call on a
     * terminal execution, which is also what the holder must get after an operator cancel.
     */
    @Test
    void repeatedWorkerCancelIsNotActiveWithOutcomeCancelled() {
        String lane = Api.freshLane();
        Lease lease = claimedOn(lane, 60_000);
        assertEquals("cancelled", Api.expect(lease.cancel("done"), 200).getString("public_state"));
        JsonPath again = assertProblem(lease.cancel("done"), 409, "execution_not_active");
        assertEquals("cancelled", again.getString("terminal_outcome"));
    }

    // ---- 404 ----------------------------------------------------------------------------------

    @Test
    void unknownExecutionIs404ForEveryCall() {
        Lease ghost = new Lease(UUID.randomUUID(), UUID.randomUUID(), 1, 0, "initial", 0, 30_000);
        for (var call : CALLS.entrySet()) {
            JsonPath p = assertProblem(call.getValue().apply(ghost), 404, "not_found");
            assertEquals("execution", p.getString("entity"), call.getKey());
        }
    }
}
