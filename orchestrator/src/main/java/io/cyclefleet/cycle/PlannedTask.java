package io.cyclefleet.cycle;

import io.cyclefleet.queue.Priority;
import io.cyclefleet.task.RetryPolicy;
import io.cyclefleet.task.Risk;
import java.time.Duration;
import java.util.List;

/** A validated step with every default resolved, ready to be written as a task row. */
public record PlannedTask(String key, String kind, List<String> dependsOn, String paramsJson, String queue,
                          Priority priority, RetryPolicy retry, Duration timeout, Branch branch, boolean triggersRollback,
                          Risk risk, boolean needsApproval) {

    public enum Branch { MAIN, ROLLBACK }

    /** Queued as soon as the cycle is written: no dependencies, not waiting for a rollback or an approval. */
    public boolean startsQueued() {
        return dependsOn.isEmpty() && branch == Branch.MAIN && !needsApproval && !CyclePlanner.GATE_KIND.equals(kind);
    }
}
