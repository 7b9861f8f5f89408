package io.cyclefleet.task;

/**
 * ACCEPTED: written to Postgres, first tasks not yet on Redis. RUNNING: tasks dispatched.
 * The rest are terminal.
 */
public enum CycleStatus {
    ACCEPTED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
