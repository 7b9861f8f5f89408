package io.cyclefleet.timeline;

import java.time.OffsetDateTime;

/** One line of a cycle's timeline; {@code id} below zero for a routine event built from its task's row. */
public record TimelineEvent(long id, OffsetDateTime at, String type, Long taskId, String taskKey, String fromStatus,
                            String toStatus, Integer attempt, String workerId, String detail) {
}
