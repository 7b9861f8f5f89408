package io.cyclefleet.task;

import java.time.Instant;
import java.util.UUID;

/**
 * What a worker reports for one attempt. {@code status} is SUCCEEDED (with the result's summary, metrics
 * and score), RETRY_WAIT (with nextRunAt) or FAILED; the retry decision is made from the task's
 * RetryPolicy before writing.
 */
public record TaskOutcome(long taskId, int attempt, UUID cycleId, TaskStatus status, String resultJson,
                          String metricsJson, Double score, String error, Instant nextRunAt) {

    public static TaskOutcome failure(long taskId, int attempt, UUID cycleId, TaskStatus status, String error, Instant nextRunAt) {
        return new TaskOutcome(taskId, attempt, cycleId, status, null, null, null, error, nextRunAt);
    }
}
