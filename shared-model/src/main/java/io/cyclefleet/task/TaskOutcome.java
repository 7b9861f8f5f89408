package io.cyclefleet.task;

import java.time.Duration;
import java.util.UUID;

/**
 * What a worker reports for one attempt that it ran. A verdict of the handler: SUCCEEDED (with the result's
 * summary, metrics and score), RETRY_WAIT (with the delay before the next attempt, added to Postgres' clock when
 * written, so a worker's skewed clock cannot move a retry) or FAILED; the retry decision is made from the task's
 * RetryPolicy before writing. {@code fault} says when it is not a verdict:
 * <ul>
 * <li>{@code DEFERRED}: RETRY_WAIT without spending an attempt (the handler could not act yet, e.g. another attempt
 *     may still be acting on its target);</li>
 * <li>{@code LEASE_LOSS} and {@code STOPPED}: status QUEUED, the run was stopped by a fault (its lease was lost, the
 *     worker fenced itself; or it drained) and the task goes back to the queue at its next attempt without spending
 *     one; a lease loss counts against the task's bound on them, a drain does not.</li>
 * </ul>
 */
public record TaskOutcome(long taskId, int attempt, UUID cycleId, TaskStatus status, String resultJson,
                          String metricsJson, Double score, String error, Duration retryDelay, Fault fault) {

    public enum Fault { NONE, DEFERRED, LEASE_LOSS, STOPPED }

    public static TaskOutcome failure(long taskId, int attempt, UUID cycleId, TaskStatus status, String error, Duration retryDelay) {
        return new TaskOutcome(taskId, attempt, cycleId, status, null, null, null, error, retryDelay, Fault.NONE);
    }

    /** The run was stopped by a fault, not by its handler: hand the task back at its next attempt. */
    public static TaskOutcome stopped(long taskId, int attempt, UUID cycleId, String reason, boolean leaseLoss) {
        return new TaskOutcome(taskId, attempt, cycleId, TaskStatus.QUEUED, null, null, null, reason, null,
                leaseLoss ? Fault.LEASE_LOSS : Fault.STOPPED);
    }

    /** The handler could not act yet: try again after {@code delay}, without spending an attempt. */
    public static TaskOutcome deferred(long taskId, int attempt, UUID cycleId, String reason, Duration delay) {
        return new TaskOutcome(taskId, attempt, cycleId, TaskStatus.RETRY_WAIT, null, null, null, reason, delay, Fault.DEFERRED);
    }

    /** Written as a verdict (COMPLETE), not as a hand-back. */
    public boolean isVerdict() {
        return status != TaskStatus.QUEUED;
    }

    public boolean leaseLoss() {
        return fault == Fault.LEASE_LOSS;
    }
}
