package io.cyclefleet.run;

import io.cyclefleet.task.TaskResult;

/**
 * A handler's failure with a message meant for the operator; {@code retryable=false} skips remaining attempts.
 * {@code measured} is what the handler observed before it failed (a verification's measurements, a suite's
 * counts): stored on the task like a result, so the incident report can show the metric that tripped.
 */
public class TaskFailure extends Exception {

    private final boolean retryable;
    private final transient TaskResult measured;

    public TaskFailure(String message, boolean retryable) {
        this(message, retryable, null);
    }

    public TaskFailure(String message, boolean retryable, TaskResult measured) {
        super(message);
        this.retryable = retryable;
        this.measured = measured;
    }

    public boolean retryable() {
        return retryable;
    }

    /** What was measured before the failure; null when nothing was. */
    public TaskResult measured() {
        return measured;
    }
}
