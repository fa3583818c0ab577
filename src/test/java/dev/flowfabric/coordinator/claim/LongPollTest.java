package dev.flowfabric.coordinator.claim;

import dev.flowfabric.coordinator.domain.Partitions;
import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long-poll claims ({@code wait_ms}): a waiting worker gets new work within milliseconds, woken by
 * the commit (same replica) or by LISTEN/NOTIFY (another replica), not at the next poll (500 ms).
 */
@QuarkusTest
class LongPollTest {

    /** Well under the 500 ms poll interval: a claimer that only polled would miss it. */
    private static final long WAKE_BUDGET_MS = 300;

    @Inject
    Db db;

    /** A claim sent from another thread, with the time it returned. */
    private record Pending(CompletableFuture<Response> response, CompletableFuture<Long> returnedAt) {
        static Pending start(Claim claim) {
            CompletableFuture<Long> at = new CompletableFuture<>();
            CompletableFuture<Response> r = CompletableFuture.supplyAsync(() -> {
                Response resp = claim.send();
                at.complete(System.currentTimeMillis());
                return resp;
            });
            return new Pending(r, at);
        }

        /** The claim stays pending for 100 ms: it looked, found nothing and is now waiting. */
        Pending waiting() {
            await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2)).until(() -> !response.isDone());
            return this;
        }

        Response get() throws Exception {
            return response.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void waitingClaimerGetsNewWorkWithinMilliseconds() throws Exception {
        String lane = Api.freshLane();
        Pending pending = Pending.start(Claim.on(lane).waitMs(10_000)).waiting();

        long createdAt = System.currentTimeMillis();
        UUID id = NewExecution.on(lane).create();
        long committed = System.currentTimeMillis();

        List<Lease> claims = Claim.leasesOf(pending.get());
        assertEquals(List.of(id), claims.stream().map(Lease::executionId).toList());
        long latency = pending.returnedAt().get() - committed;
        assertTrue(latency < WAKE_BUDGET_MS, "woken " + latency + " ms after the create returned (create took "
                + (committed - createdAt) + " ms)");
    }

    @Test
    void waitingClaimerWakesOnAnotherReplicasNotify() throws Exception {
        String lane = Api.freshLane();
        Pending pending = Pending.start(Claim.on(lane).waitMs(10_000)).waiting();

        UUID id = UUID.randomUUID();
        // Another replica's create: the row and a NOTIFY on ff_work (payload replica|count|lane), one transaction.
        db.update("""
                WITH ins AS (
                    INSERT INTO ff_exec_core (partition_key, execution_id, flow_id, lane_id, attempt_index,
                        lifecycle_phase, ownership_state, eligibility_state, public_state, attempt_state,
                        priority, created_at_ms, raw_fields)
                    VALUES ($1, $2, NULL, $3, 0, 'runnable', 'unowned', 'eligible_now', 'waiting',
                            'pending_first_attempt', 0, $4, '{}'::jsonb)
                    RETURNING lane_id)
                SELECT pg_notify('ff_work', 'another-replica|1|' || lane_id) FROM ins""",
                Partitions.forLane(lane, 256), id, lane, System.currentTimeMillis());
        long committed = System.currentTimeMillis();

        assertEquals(id, Claim.leasesOf(pending.get()).get(0).executionId());
        long latency = pending.returnedAt().get() - committed;
        assertTrue(latency < WAKE_BUDGET_MS, "woken " + latency + " ms after the notify committed");
    }

    @Test
    void waitingClaimerWakesWhenAnExecutionBecomesClaimableAgain() throws Exception {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();
        Pending pending = Pending.start(Claim.on(lane).worker("second").waitMs(10_000)).waiting();

        Api.expect(Api.post("/v1/executions/" + id + "/revoke-lease", java.util.Map.of("reason", "test")), 200);
        long committed = System.currentTimeMillis();

        Lease reclaimed = Claim.leasesOf(pending.get()).get(0);
        assertEquals(id, reclaimed.executionId());
        assertEquals("reclaim", reclaimed.attemptType());
        assertTrue(reclaimed.epoch() > lease.epoch());
        long latency = pending.returnedAt().get() - committed;
        assertTrue(latency < WAKE_BUDGET_MS, "woken " + latency + " ms after the revoke");
    }

    @Test
    void nothingArrivingMeans204AtTheEndOfTheWait() {
        long start = System.currentTimeMillis();
        Response r = Claim.on(Api.freshLane()).waitMs(1200).send();
        long elapsed = System.currentTimeMillis() - start;

        assertEquals(204, r.statusCode());
        assertTrue(elapsed >= 1150, "returned after " + elapsed + " ms");
        assertTrue(elapsed < 3000, "returned after " + elapsed + " ms");
    }

    @Test
    void workForAnotherLaneDoesNotEndTheWait() throws Exception {
        String lane = Api.freshLane();
        long start = System.currentTimeMillis();
        Pending pending = Pending.start(Claim.on(lane).waitMs(1000)).waiting();
        NewExecution.on(Api.freshLane()).create();

        assertEquals(204, pending.get().statusCode());
        assertTrue(pending.returnedAt().get() - start >= 950);
    }
}
