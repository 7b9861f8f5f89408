package io.cyclefleet.task;

import java.util.EnumSet;
import java.util.Set;

/** Lifecycle of one task; see docs/architecture.md for the transitions and who makes each one. */
public enum TaskStatus {
    PENDING, QUEUED, RUNNING, RETRY_WAIT, SUCCEEDED, FAILED, CANCELLED, SKIPPED;

    public static final Set<TaskStatus> TERMINAL = EnumSet.of(SUCCEEDED, FAILED, CANCELLED, SKIPPED);

    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }
}
