package io.cyclefleet.task;

/**
 * ACCEPTED: written to Postgres, first tasks not yet on Redis. RUNNING: tasks dispatched.
 * AWAITING_APPROVAL: a step riskier than the cycle's maxAutoRisk is ready and waits for an operator; nothing
 * of it is queued. The rest are terminal: ROLLED_BACK means the rollback branch ran and succeeded.
 */
public enum CycleStatus {
    ACCEPTED, RUNNING, AWAITING_APPROVAL, SUCCEEDED, ROLLED_BACK, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == ROLLED_BACK || this == FAILED || this == CANCELLED;
    }
}
