package io.cyclefleet.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(10));

    @Test
    void delayDoublesPerAttemptWithinEqualJitterBounds() {
        RandomGenerator random = new SplittableRandom(7);
        long[] caps = {1000, 2000, 4000, 8000, 10000, 10000};
        for (int attempt = 1; attempt <= caps.length; attempt++) {
            for (int i = 0; i < 200; i++) {
                long ms = policy.delayAfter(attempt, random).toMillis();
                assertTrue(ms >= caps[attempt - 1] / 2 && ms <= caps[attempt - 1], "attempt " + attempt + ": " + ms);
            }
        }
    }

    @Test
    void jitterSpreadsRetriesThatFailedTogether() {
        RandomGenerator random = new SplittableRandom(11);
        long distinct = java.util.stream.IntStream.range(0, 100).mapToLong(i -> policy.delayAfter(3, random).toMillis()).distinct().count();
        assertTrue(distinct > 50, "only " + distinct + " distinct delays in 100");
    }

    @Test
    void hugeAttemptNumbersStayAtTheCapWithoutOverflow() {
        long ms = policy.delayAfter(1_000_000, new SplittableRandom(1)).toMillis();
        assertTrue(ms >= 5000 && ms <= 10000, Long.toString(ms));
    }

    @Test
    void attemptsAreBounded() {
        assertTrue(policy.hasAttemptAfter(4));
        assertFalse(policy.hasAttemptAfter(5));
        assertEquals(Duration.ZERO, new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(1)).delayAfter(1, new SplittableRandom(1)));
    }
}
