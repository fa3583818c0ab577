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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Retries follow the execution's {@code retry_policy} (api.md §1.1, §2.4): the backoff decides when
 * the retry becomes claimable (driven here by {@code DelayPromoterSweep.sweepOnce(now)}), each retry
 * is a new attempt row of type {@code retry}, and {@code permanent} or {@code retryable:false} end it.
 * Backoffs are minutes long so the scheduled promoter never acts during a test.
 */
@QuarkusTest
class RetryPolicyTest {

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    /** Fails the current attempt; returns the fail answer. */
    private static JsonPath fail(Lease lease) {
        return Api.expect(lease.fail("transient"), 200);
    }

    /** The backoff the server applied: from the attempt's end to its retry's time. */
    private long appliedBackoff(UUID id, int attemptIndex) {
        Map<String, Object> a = db.attemptRows(id).get(attemptIndex);
        return (Long) a.get("next_attempt_at_ms") - (Long) a.get("terminal_at_ms");
    }

    /** Fails attempt after attempt, promoting and claiming each retry; returns the backoffs applied. */
    private List<Long> failThroughRetries(String lane, UUID id, int retries) {
        List<Long> backoffs = new ArrayList<>();
        Lease lease = Claim.on(lane).one();
        for (int i = 0; i < retries; i++) {
            JsonPath answer = fail(lease);
            assertEquals("retry_scheduled", answer.getString("outcome"));
            assertEquals(lease.attemptIndex() + 1, answer.getInt("attempt_index"));
            long next = answer.getLong("next_attempt_at_ms");
            assertEquals(next, db.attemptRows(id).get(lease.attemptIndex()).get("next_attempt_at_ms"));
            backoffs.add(appliedBackoff(id, lease.attemptIndex()));

            assertEquals("delayed", Api.publicState(id));
            Claim.on(lane).none();
            sweeps.promoteDelayed(next - 1);
            assertEquals("delayed", Api.publicState(id), "not before its time");
            sweeps.promoteDelayed(next);
            assertEquals("waiting", Api.publicState(id));

            lease = Claim.on(lane).one();
            assertEquals("retry", lease.attemptType());
            assertEquals(i + 1, lease.attemptIndex());
        }
        assertEquals("failed", fail(lease).getString("outcome"), "retries used up");
        return backoffs;
    }

    @Test
    void fixedBackoffWaitsTheSameEachTimeAndStopsAtMaxRetries() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(3, "fixed", 600_000, 600_000, 1.0).create();

        assertEquals(List.of(600_000L, 600_000L, 600_000L), failThroughRetries(lane, id, 3));

        JsonPath view = Api.view(id);
        assertEquals("failed", view.getString("public_state"));
        assertEquals(4, view.getInt("attempt_count"));
        assertEquals(3, view.getInt("retry_count"));
        assertEquals(0, view.getInt("reclaim_count"));
        assertEquals(List.of("initial", "retry", "retry", "retry"), Api.attempts(id).getList("attempts.attempt_type"));
        assertEquals(List.of("retry", "retry", "retry", "failed"), Api.attempts(id).getList("attempts.outcome"));
        assertEquals(List.of(0, 1, 2, 3), Api.attempts(id).getList("attempts.attempt_index"));
    }

    @Test
    void exponentialBackoffMultipliesUpToItsCap() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(4, "exponential", 60_000, 1_000_000, 3.0).create();

        assertEquals(List.of(60_000L, 180_000L, 540_000L, 1_000_000L), failThroughRetries(lane, id, 4));
        assertEquals(4, Api.view(id).getInt("retry_count"));
    }

    @Test
    void zeroBackoffIsClaimableAtOnce() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(1, "fixed", 0, 0, 1.0).create();
        fail(Claim.on(lane).one());

        assertEquals("waiting", Api.publicState(id));
        assertEquals("retry", Claim.on(lane).one().attemptType());
    }

    @Test
    void permanentFailuresNeverRetry() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(5, "fixed", 0, 0, 1.0).create();
        Lease lease = Claim.on(lane).one();

        assertEquals(Map.of("outcome", "failed"), Api.expect(lease.fail("permanent"), 200).getMap(""));
        assertEquals("failed", Api.publicState(id));
        assertEquals(1, Api.attempts(id).getList("attempts").size());
    }

    @Test
    void notRetryableNeverRetries() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(5, "fixed", 0, 0, 1.0).create();
        Lease lease = Claim.on(lane).one();

        assertEquals(Map.of("outcome", "failed"), Api.expect(lease.fail("transient", false), 200).getMap(""));
        assertEquals("failed", Api.publicState(id));
    }

    @Test
    void everyOtherCategoryRetries() {
        for (String category : List.of("transient", "timeout", "infra")) {
            String lane = Api.freshLane();
            NewExecution.on(lane).retries(1, "fixed", 0, 0, 1.0).create();
            Lease lease = Claim.on(lane).one();
            assertEquals("retry_scheduled", Api.expect(lease.fail(category, true), 200).getString("outcome"), category);
        }
    }

    @Test
    void withoutAPolicyTheFirstFailureIsFinal() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        assertEquals("failed", fail(Claim.on(lane).one()).getString("outcome"));
        assertEquals("failed", Api.publicState(id));

        String lane2 = Api.freshLane();
        UUID zero = NewExecution.on(lane2).with("retry_policy", Map.of("max_retries", 0)).create();
        assertEquals("failed", fail(Claim.on(lane2).one()).getString("outcome"));
        assertEquals("failed", Api.publicState(zero));
    }

    @Test
    void retriedExecutionKeepsTheLastError() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(1, "fixed", 0, 0, 1.0).create();
        Api.expect(Claim.on(lane).one().fail("infra", true), 200);

        JsonPath view = Api.view(id);
        assertEquals("infra", view.getString("last_error.category"));
        assertEquals("pending_retry_attempt", view.getString("attempt_state"));
        assertEquals(1, view.getInt("attempt_index"), "the index the retry will run as");
    }

    @Test
    void policyIsValidated() {
        String lane = Api.freshLane();
        assertProblem(NewExecution.on(lane).retries(1, "linear", 1000, 2000, 2.0).post(), 400, "invalid_policy");
        assertProblem(NewExecution.on(lane).retries(-1, "fixed", 1000, 2000, 2.0).post(), 400, "invalid_policy");
        assertProblem(NewExecution.on(lane).retries(1, "fixed", 5000, 1000, 2.0).post(), 400, "invalid_policy");
        assertProblem(NewExecution.on(lane).retries(1, "exponential", 1000, 2000, 0.5).post(), 400, "invalid_policy");
        assertProblem(NewExecution.on(lane).retries(1, "fixed", -1, 2000, 2.0).post(), 400, "invalid_policy");
        assertProblem(NewExecution.on(lane).with("retry_policy", Map.of("max_retries", 1, "bogus", 1)).post(),
                400, "invalid_input");
        Claim.on(lane).none();
    }
}
