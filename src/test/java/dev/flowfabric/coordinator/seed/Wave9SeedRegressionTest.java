package dev.flowfabric.coordinator.seed;

import dev.flowfabric.coordinator.domain.Partitions;
import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import dev.flowfabric.coordinator.support.SweepRunner;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The claim-side regressions of {@code shared/seeds/wave9_followups.rs.txt}, ported with the seed's
 * own direct-SQL rows (its exact INSERT column list), claimed over HTTP. The seed's "running"
 * public state is this contract's {@code active} (model.md §2).
 */
@QuarkusTest
class Wave9SeedRegressionTest {

    private static final int PARTITIONS = 256;

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    /** The seed's {@code insert_exec_core}, column for column. */
    private void insertExecCore(short part, UUID execUuid, UUID flowId, String laneId, String lifecyclePhase,
                                String publicState, int attemptIndex, long now) {
        db.update("""
                INSERT INTO ff_exec_core
                   (partition_key, execution_id, flow_id, lane_id, attempt_index,
                    lifecycle_phase, ownership_state, eligibility_state,
                    public_state, attempt_state,
                    priority, created_at_ms, raw_fields)
                 VALUES ($1, $2, $3, $4, $5, $6, 'unowned', 'eligible_now',
                         $7, 'running_attempt', 0, $8, '{}'::jsonb)""",
                part, execUuid, flowId, laneId, attemptIndex, lifecyclePhase, publicState, now);
    }

    private Long readExecStartedAt(short part, UUID execUuid) {
        return (Long) db.row("SELECT started_at_ms FROM ff_exec_core WHERE partition_key = $1 AND execution_id = $2",
                part, execUuid).get("started_at_ms");
    }

    private String readExecPublicState(short part, UUID execUuid) {
        return (String) db.row("SELECT public_state FROM ff_exec_core WHERE partition_key = $1 AND execution_id = $2",
                part, execUuid).get("public_state");
    }

    /** #356: {@code ff_exec_core.started_at_ms} is set once, by the first claim; a later claim keeps it. */
    @Test
    void first_claim_populates_started_at_ms_set_once() {
        String lane = "wave9-followup-356-" + UUID.randomUUID();
        short part = Partitions.forLane(lane, PARTITIONS);
        UUID execUuid = UUID.randomUUID();
        long now = System.currentTimeMillis();
        insertExecCore(part, execUuid, null, lane, "runnable", "waiting", 0, now);

        Claim.on(lane).worker("w356").ttl(60_000).one();
        Long firstVal = readExecStartedAt(part, execUuid);
        assertNotNull(firstVal, "first claim must populate ff_exec_core.started_at_ms");
        long firstTs = firstVal;

        // Force exec back to runnable/eligible and bump attempt_index so the scanner reselects it.
        db.update("""
                UPDATE ff_exec_core SET lifecycle_phase='runnable', ownership_state='unowned',
                    eligibility_state='eligible_now', attempt_index = attempt_index + 1
                 WHERE partition_key = $1 AND execution_id = $2""", part, execUuid);
        // The seed sleeps 5 ms so a second stamp would differ; wait for the clock instead.
        await().atMost(Duration.ofSeconds(2)).until(() -> System.currentTimeMillis() > firstTs + 5);

        Lease second = Claim.on(lane).worker("w356").ttl(60_000).one();
        assertEquals(execUuid, second.executionId());
        Long secondVal = readExecStartedAt(part, execUuid);
        assertNotNull(secondVal, "second claim leaves column populated");
        assertEquals(firstTs, secondVal, "set-once: reclaim/retry must not overwrite started_at_ms (#356)");
    }

    /** First claim flips the create-time {@code waiting} to {@code active} (the seed's "running"). */
    @Test
    void first_claim_writes_public_state_running() {
        String lane = "wave9-followup-pubstate-" + UUID.randomUUID();
        short part = Partitions.forLane(lane, PARTITIONS);
        UUID execUuid = UUID.randomUUID();
        long now = System.currentTimeMillis();
        insertExecCore(part, execUuid, null, lane, "runnable", "waiting", 0, now);
        assertEquals("waiting", readExecPublicState(part, execUuid), "pre-condition: seeded as waiting");

        Lease lease = Claim.on(lane).worker("w-pubstate").ttl(60_000).one();
        assertEquals(execUuid, lease.executionId());
        assertEquals(part, (short) Api.view(execUuid).getInt("partition_key"));

        assertEquals("active", readExecPublicState(part, execUuid),
                "first claim must flip ff_exec_core.public_state from waiting to active");
    }

    /** The same set-once rule through the real paths: a lease-expiry reclaim and a retry. */
    @Test
    void started_at_ms_survives_reclaim_and_retry_through_the_api() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(1, "fixed", 0, 0, 1.0).create();
        Lease first = Claim.on(lane).ttl(60_000).one();
        long started = Api.view(id).getLong("started_at_ms");

        sweeps.expireLeases(first.expiresAtMs());
        await().atMost(Duration.ofSeconds(2)).until(() -> System.currentTimeMillis() > started + 2);
        Lease reclaimed = Claim.on(lane).worker("worker-b").one();
        assertEquals("reclaim", reclaimed.attemptType());
        assertEquals(started, Api.view(id).getLong("started_at_ms"), "after a reclaim");

        Api.expect(reclaimed.fail("transient"), 200);
        Lease retried = Claim.on(lane).one();
        assertEquals("retry", retried.attemptType());
        assertEquals(started, Api.view(id).getLong("started_at_ms"), "after a retry");
        assertEquals(started, readExecStartedAt(Partitions.forLane(lane, PARTITIONS), id), "stored column");
    }
}
