package io.cyclefleet.task;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay is fixed, the other half
 * random, so retries of a fan-out that failed together spread out instead of stampeding.
 */
public record RetryPolicy(int maxAttempts, Duration backoff, Duration maxBackoff) {

    public static final int MAX_ATTEMPTS_LIMIT = 25;

    public boolean hasAttemptAfter(int attempt) {
        return attempt < maxAttempts;
    }

    /** Delay before the attempt that follows {@code failedAttempt} (1-based). */
    public Duration delayAfter(int failedAttempt, RandomGenerator random) {
        long base = backoff.toMillis();
        long cap = maxBackoff.toMillis();
        int shift = Math.min(Math.max(failedAttempt - 1, 0), 30);
        long exponential = base > (cap >> shift) ? cap : Math.min(cap, base << shift);
        long half = exponential / 2;
        return Duration.ofMillis(half + (half == 0 ? 0 : random.nextLong(half + 1)));
    }
}
