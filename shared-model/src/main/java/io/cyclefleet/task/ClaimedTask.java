package io.cyclefleet.task;

import java.time.Duration;
import java.util.UUID;

/** A task this worker now holds the lease of, with everything needed to run it (from Postgres). */
public record ClaimedTask(long id, int attempt, UUID cycleId, String key, String kind, String paramsJson,
                          Duration timeout, RetryPolicy retry, String queue, Priority priority) {
}
