package io.cyclefleet.task;

import java.util.List;

/**
 * ACCEPTED: written to Postgres, first tasks not yet on Redis. WAITING_FOR_TARGET: another cycle is changing the
 * same target; nothing of this one runs until it gets the target's lease. RUNNING: tasks dispatched.
 * AWAITING_APPROVAL: a step riskier than the cycle's maxAutoRisk is ready and waits for an operator; nothing
 * of it is queued. The rest are terminal: ROLLED_BACK means the rollback branch ran and succeeded.
 */
public enum CycleStatus {
    ACCEPTED, WAITING_FOR_TARGET, RUNNING, AWAITING_APPROVAL, SUCCEEDED, ROLLED_BACK, FAILED, CANCELLED;

    /** The unfinished statuses, in the order a cycle moves through them. */
    public static final List<CycleStatus> ACTIVE = List.of(ACCEPTED, WAITING_FOR_TARGET, RUNNING, AWAITING_APPROVAL);

    public boolean isTerminal() {
        return !ACTIVE.contains(this);
    }
}
