package dev.flowfabric.coordinator.domain;

import java.util.random.RandomGenerator;

/**
 * How many times a failed execution is retried and how long it waits before each retry.
 * No policy means no retries; lease-expiry reclaims are not retries and are not counted.
 */
public record RetryPolicy(int maxRetries, Backoff backoff) {

    public static final RetryPolicy NONE = new RetryPolicy(0, Backoff.DEFAULT);

    public enum BackoffType implements Wire { FIXED, EXPONENTIAL }

    public record Backoff(BackoffType type, long initialMs, long maxMs, double multiplier, boolean jitter) {

        public static final Backoff DEFAULT = new Backoff(BackoffType.EXPONENTIAL, 1000, 60_000, 2.0, false);

        /**
         * Delay before the retry that follows {@code retriesSoFar} earlier retries. Jitter draws
         * uniformly from [delay/2, delay] so a herd of failures spreads out without ever waiting longer.
         */
        public long delayMs(int retriesSoFar, RandomGenerator random) {
            double raw = type == BackoffType.FIXED
                    ? initialMs
                    : initialMs * Math.pow(multiplier, Math.max(0, retriesSoFar));
            long delay = (long) Math.min(raw, (double) maxMs);
            if (jitter && delay > 1) {
                delay = delay / 2 + random.nextLong(delay - delay / 2 + 1);
            }
            return Math.max(0, delay);
        }
    }

    /** What a failure turns into. */
    public sealed interface Decision permits Retry, Final { }

    /** Retry as attempt {@code nextAttemptIndex}, claimable from {@code notBeforeMs}. */
    public record Retry(long notBeforeMs, int nextAttemptIndex) implements Decision { }

    public record Final() implements Decision { }

    public Decision onFailure(States.FailureCategory category, boolean retryable, int retriesSoFar,
                              int attemptIndex, long now, RandomGenerator random) {
        if (!retryable || category == States.FailureCategory.PERMANENT || retriesSoFar >= maxRetries) {
            return new Final();
        }
        return new Retry(now + backoff.delayMs(retriesSoFar, random), attemptIndex + 1);
    }
}
