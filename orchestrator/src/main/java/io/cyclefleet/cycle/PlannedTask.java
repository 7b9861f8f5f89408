package io.cyclefleet.cycle;

import io.cyclefleet.task.Priority;
import io.cyclefleet.task.RetryPolicy;
import java.time.Duration;
import java.util.List;

/** A validated step with every default resolved, ready to be written as a task row. */
public record PlannedTask(String key, String kind, List<String> dependsOn, String paramsJson, String queue,
                          Priority priority, RetryPolicy retry, Duration timeout) {

    public boolean isRoot() {
        return dependsOn.isEmpty();
    }
}
