package io.cyclefleet.handler;

/** A handler's failure with a message meant for the operator; {@code retryable=false} skips remaining attempts. */
public class TaskFailure extends Exception {

    private final boolean retryable;

    public TaskFailure(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
