package io.cyclefleet.task;

import io.cyclefleet.queue.Priority;
import java.time.Duration;
import java.util.UUID;

/**
 * A task this worker now holds the lease of, with everything needed to run it (from Postgres), and how long
 * it waited QUEUED at this attempt before the claim (by Postgres' clock, so worker clock skew does not count).
 */
public record ClaimedTask(long id, int attempt, UUID cycleId, String key, String kind, String paramsJson,
                          Duration timeout, RetryPolicy retry, String queue, Priority priority, Duration queueWait) {
}
