package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** API representations of cycles, tasks and timeline events. */
public final class CycleViews {

    private CycleViews() {
    }

    public record Submitted(UUID id, String status, boolean replayed) {
    }

    public record CycleSummary(UUID id, String name, String target, int iteration, String status, String error,
                               OffsetDateTime createdAt, OffsetDateTime finishedAt) {
    }

    /**
     * {@code averageScore}: mean of the scores its tasks reported (null when none did). {@code awaitingApproval}:
     * the steps an operator's approval would start. {@code iteration}: 1 for a submitted cycle, n for the
     * n-th run of its spec ({@code parentId} is iteration n-1, {@code nextIterationId} n+1 once started).
     */
    public record Cycle(UUID id, String name, String target, String status, String error, OffsetDateTime createdAt,
                        OffsetDateTime updatedAt, OffsetDateTime finishedAt, OffsetDateTime deadlineAt,
                        int iteration, UUID parentId, UUID nextIterationId, OffsetDateTime nextIterationAt,
                        List<String> awaitingApproval, Rollback rollback, Map<String, Long> taskCounts,
                        Double averageScore, List<Task> tasks) {
    }

    /** The rollback branch's run: when the failure was detected, why, and the time to recover (MTTR). */
    public record Rollback(OffsetDateTime failureDetectedAt, String cause, OffsetDateTime finishedAt, Long mttrMs) {
    }

    public record Task(long id, String key, String kind, String branch, String risk, String status, int attempts,
                       int maxAttempts, String queue, String priority, List<String> dependsOn, JsonNode result,
                       JsonNode metrics, Double score, String error, String workerId, boolean needsApproval,
                       String approvedBy, OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                       OffsetDateTime nextRunAt) {
    }

    public record Event(long id, OffsetDateTime at, String type, Long taskId, String taskKey, String fromStatus,
                        String toStatus, Integer attempt, String workerId, String detail) {
    }
}
