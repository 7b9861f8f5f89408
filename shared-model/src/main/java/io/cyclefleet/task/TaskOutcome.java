package io.cyclefleet.task;

import java.time.Instant;

/**
 * What a worker reports for one attempt. {@code status} is SUCCEEDED, RETRY_WAIT (with nextRunAt) or
 * FAILED; the retry decision is made from the task's RetryPolicy before writing.
 */
public record TaskOutcome(long taskId, int attempt, java.util.UUID cycleId, TaskStatus status,
                          String resultJson, String error, Instant nextRunAt) {
}
