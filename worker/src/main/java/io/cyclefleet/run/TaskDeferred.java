package io.cyclefleet.run;

import java.time.Duration;

/**
 * A handler cannot act yet — another attempt may still be acting on its target, say — and asks to run again after
 * {@code delay} (on Postgres' clock). Not a verdict: the attempt it ends is not spent, and the worker's slot and the
 * task's lease are not held while it waits (the task waits in Postgres, RETRY_WAIT).
 */
public class TaskDeferred extends Exception {

    private final Duration delay;

    public TaskDeferred(String reason, Duration delay) {
        super(reason);
        this.delay = delay;
    }

    public Duration delay() {
        return delay;
    }
}
