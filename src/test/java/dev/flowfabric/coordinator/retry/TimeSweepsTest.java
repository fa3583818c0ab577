package dev.flowfabric.coordinator.retry;

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
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Time-driven transitions, each run by calling its sweep with a chosen {@code now}: delayed start,
 * attempt timeout (a retry per policy, else {@code expired}) and the execution deadline.
 */
@QuarkusTest
class TimeSweepsTest {

    private static final long HOUR = 3_600_000;

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    @Test
    void delayedStartBecomesClaimableWhenThePromoterReachesItsTime() {
        String lane = Api.freshLane();
        long until = System.currentTimeMillis() + HOUR;
        JsonPath created = NewExecution.on(lane).delayUntil(until).createView();
        UUID id = UUID.fromString(created.getString("execution_id"));
        assertEquals("delayed", created.getString("public_state"));
        assertEquals(until, created.getLong("delay_until_ms"));
        Claim.on(lane).none();

        sweeps.promoteDelayed(until - 1);
        assertEquals("delayed", Api.publicState(id));
        sweeps.promoteDelayed(until);
        assertEquals("waiting", Api.publicState(id));

        Lease lease = Claim.on(lane).one();
        assertEquals(id, lease.executionId());
        assertEquals("initial", lease.attemptType());
        assertEquals(0, lease.attemptIndex());
    }

    @Test
    void delayInThePastStartsWaiting() {
        String lane = Api.freshLane();
        JsonPath created = NewExecution.on(lane).delayUntil(System.currentTimeMillis() - 1000).createView();
        assertEquals("waiting", created.getString("public_state"));
        Claim.on(lane).one();
    }

    /** The claim time the server stamped on the current attempt. */
    private long attemptStarted(UUID id, int index) {
        return (Long) db.attemptRows(id).get(index).get("started_at_ms");
    }

    @Test
    void attemptTimeoutRetriesPerPolicy() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).attemptTimeout(60_000).retries(1, "fixed", 0, 0, 1.0).create();
        Lease lease = Claim.on(lane).ttl(HOUR).one();
        long timeoutAt = attemptStarted(id, 0) + 60_000;

        sweeps.timeOut(timeoutAt - 1);
        assertEquals("active", Api.publicState(id));
        sweeps.timeOut(timeoutAt);

        JsonPath view = Api.view(id);
        assertEquals("waiting", view.getString("public_state"));
        assertEquals("pending_retry_attempt", view.getString("attempt_state"));
        assertEquals("timeout", view.getString("last_error.category"));
        assertEquals("retry", Api.attempts(id).getString("attempts[0].outcome"));
        assertProblem(lease.complete(null), 409, "stale_lease");

        Lease retry = Claim.on(lane).ttl(HOUR).one();
        assertEquals("retry", retry.attemptType());
        assertEquals(1, retry.attemptIndex());
        long secondTimeoutAt = attemptStarted(id, 1) + 60_000;
        sweeps.timeOut(secondTimeoutAt);
        assertEquals("expired", Api.publicState(id), "no retries left");
    }

    @Test
    void attemptTimeoutWithoutRetriesExpires() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).attemptTimeout(60_000).create();
        Lease lease = Claim.on(lane).ttl(HOUR).one();
        sweeps.timeOut(attemptStarted(id, 0) + 60_000);

        JsonPath view = Api.view(id);
        assertEquals("expired", view.getString("public_state"));
        assertEquals("expired", view.getString("terminal_outcome"));
        assertEquals("expired", Api.attempts(id).getString("attempts[0].outcome"));
        JsonPath refused = assertProblem(lease.complete(null), 409, "execution_not_active");
        assertEquals("expired", refused.getString("terminal_outcome"));
    }

    @Test
    void renewDoesNotPushTheAttemptTimeout() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).attemptTimeout(60_000).create();
        Lease lease = Claim.on(lane).ttl(HOUR).one();
        Api.expect(lease.renew(HOUR), 200);
        sweeps.timeOut(attemptStarted(id, 0) + 60_000);
        assertEquals("expired", Api.publicState(id));
    }

    @Test
    void deadlineExpiresAWaitingExecution() {
        String lane = Api.freshLane();
        long deadline = System.currentTimeMillis() + HOUR;
        UUID id = NewExecution.on(lane).deadline(deadline).create();

        sweeps.timeOut(deadline - 1);
        assertEquals("waiting", Api.publicState(id));
        sweeps.timeOut(deadline);
        JsonPath view = Api.view(id);
        assertEquals("expired", view.getString("public_state"));
        assertEquals(deadline, view.getLong("deadline_at_ms"));
        Claim.on(lane).none();
    }

    @Test
    void deadlineExpiresAnActiveExecutionAndItsHolderIsRefused() {
        String lane = Api.freshLane();
        long deadline = System.currentTimeMillis() + HOUR;
        UUID id = NewExecution.on(lane).deadline(deadline).create();
        Lease lease = Claim.on(lane).ttl(HOUR).one();

        sweeps.timeOut(deadline);

        assertEquals("expired", Api.publicState(id));
        assertEquals("expired", Api.attempts(id).getString("attempts[0].outcome"));
        JsonPath refused = assertProblem(lease.renew(), 409, "execution_not_active");
        assertEquals("expired", refused.getString("terminal_outcome"));
    }

    @Test
    void deadlineExpiresADelayedExecution() {
        String lane = Api.freshLane();
        long now = System.currentTimeMillis();
        UUID id = NewExecution.on(lane).delayUntil(now + 2 * HOUR).deadline(now + HOUR).create();
        sweeps.timeOut(now + HOUR);
        assertEquals("expired", Api.publicState(id));
    }

    @Test
    void anExecutionPastItsDeadlineIsNeverClaimed() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).deadline(System.currentTimeMillis() - 1).create();
        Claim.on(lane).none();
        sweeps.timeOut(System.currentTimeMillis());
        await().atMost(Duration.ofSeconds(5)).until(() -> "expired".equals(Api.publicState(id)));
    }
}
