package io.cyclefleet.task;

import java.time.Duration;
import java.util.UUID;

/**
 * What a worker reports for one attempt that it ran. A verdict of the handler: SUCCEEDED (with the result's
 * summary, metrics and score), RETRY_WAIT (with the delay before the next attempt, added to Postgres' clock when
 * written, so a worker's skewed clock cannot move a retry) or FAILED; the retry decision is made from the task's
 * RetryPolicy before writing. Or QUEUED: no verdict, the run was stopped by a fault (its lease was lost, the
 * worker fenced itself or drained) and the task goes back to the queue at its next attempt without spending one;
 * {@code leaseLoss} counts it against the task's bound on lease losses (a drain does not).
 */
public record TaskOutcome(long taskId, int attempt, UUID cycleId, TaskStatus status, String resultJson,
                          String metricsJson, Double score, String error, Duration retryDelay, boolean leaseLoss) {

    public static TaskOutcome failure(long taskId, int attempt, UUID cycleId, TaskStatus status, String error, Duration retryDelay) {
        return new TaskOutcome(taskId, attempt, cycleId, status, null, null, null, error, retryDelay, false);
    }

    /** The run was stopped by a fault, not by its handler: hand the task back at its next attempt. */
    public static TaskOutcome stopped(long taskId, int attempt, UUID cycleId, String reason, boolean leaseLoss) {
        return new TaskOutcome(taskId, attempt, cycleId, TaskStatus.QUEUED, null, null, null, reason, null, leaseLoss);
    }

    public boolean isVerdict() {
        return status != TaskStatus.QUEUED;
    }
}
