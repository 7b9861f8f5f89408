package io.cyclefleet.cycle;

import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What the advancer needs to know of one locked cycle, read in one query: the cycle's state and each step's
 * status, branch, approval and, for steps still PENDING, their upstream steps. {@link AdvanceRules} decides from it.
 */
record CycleSnapshot(UUID id, CycleStatus status, boolean rollingBack, CycleStore.RollbackStart startedBy,
                     boolean incidentOnFailure, boolean deployed, List<Step> steps) {

    /**
     * One task of the cycle. {@code failure} is "kind step key failed: error" for a FAILED step, {@code finishedAt} orders
     * failures, {@code upstream} (ids) is only known for PENDING steps: no rule looks at the upstream of another.
     */
    record Step(long id, String key, String kind, TaskStatus status, boolean main, boolean needsApproval, boolean approved,
                boolean triggersRollback, String failure, Instant finishedAt, List<Long> upstream) {

        boolean isGate() {
            return "gate".equals(kind);
        }
    }

    boolean hasRollbackBranch() {
        return steps.stream().anyMatch(s -> !s.main());
    }
}
