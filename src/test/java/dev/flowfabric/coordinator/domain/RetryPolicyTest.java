package dev.flowfabric.coordinator.domain;

import dev.flowfabric.coordinator.domain.RetryPolicy.Backoff;
import dev.flowfabric.coordinator.domain.RetryPolicy.BackoffType;
import dev.flowfabric.coordinator.domain.States.FailureCategory;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryPolicyTest {

    private static final RandomGenerator RANDOM = new SplittableRandom(7);

    @Test
    void exponentialBackoffGrowsByTheMultiplierUpToTheCap() {
        Backoff b = new Backoff(BackoffType.EXPONENTIAL, 100, 1000, 2.0, false);
        assertEquals(100, b.delayMs(0, RANDOM));
        assertEquals(200, b.delayMs(1, RANDOM));
        assertEquals(800, b.delayMs(3, RANDOM));
        assertEquals(1000, b.delayMs(4, RANDOM));
        assertEquals(1000, b.delayMs(40, RANDOM));
    }

    @Test
    void fixedBackoffNeverChanges() {
        Backoff b = new Backoff(BackoffType.FIXED, 250, 60_000, 2.0, false);
        assertEquals(250, b.delayMs(0, RANDOM));
        assertEquals(250, b.delayMs(9, RANDOM));
    }

    @Test
    void jitterStaysWithinHalfToFullDelay() {
        Backoff b = new Backoff(BackoffType.FIXED, 1000, 60_000, 2.0, true);
        for (int i = 0; i < 1000; i++) {
            long d = b.delayMs(0, RANDOM);
            assertTrue(d >= 500 && d <= 1000, "delay " + d);
        }
    }

    @Test
    void retriesUntilMaxRetriesThenStops() {
        RetryPolicy p = new RetryPolicy(2, new Backoff(BackoffType.FIXED, 10, 10, 1.0, false));
        var first = assertInstanceOf(RetryPolicy.Retry.class,
                p.onFailure(FailureCategory.TRANSIENT, true, 0, 0, 1000, RANDOM));
        assertEquals(1010, first.notBeforeMs());
        assertEquals(1, first.nextAttemptIndex());
        assertInstanceOf(RetryPolicy.Retry.class, p.onFailure(FailureCategory.INFRA, true, 1, 3, 1000, RANDOM));
        assertInstanceOf(RetryPolicy.Final.class, p.onFailure(FailureCategory.TRANSIENT, true, 2, 4, 1000, RANDOM));
    }

    @Test
    void permanentOrNotRetryableNeverRetries() {
        RetryPolicy p = new RetryPolicy(5, Backoff.DEFAULT);
        assertInstanceOf(RetryPolicy.Final.class, p.onFailure(FailureCategory.PERMANENT, true, 0, 0, 0, RANDOM));
        assertInstanceOf(RetryPolicy.Final.class, p.onFailure(FailureCategory.TRANSIENT, false, 0, 0, 0, RANDOM));
        assertInstanceOf(RetryPolicy.Final.class, RetryPolicy.NONE.onFailure(FailureCategory.TRANSIENT, true, 0, 0, 0, RANDOM));
    }
}
