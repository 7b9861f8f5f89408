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

    public record CycleSummary(UUID id, String name, String status, String error, OffsetDateTime createdAt,
                               OffsetDateTime finishedAt) {
    }

    /** {@code averageScore}: mean of the scores its tasks reported (null when none did). */
    public record Cycle(UUID id, String name, String status, String error, OffsetDateTime createdAt,
                        OffsetDateTime updatedAt, OffsetDateTime finishedAt, Map<String, Long> taskCounts,
                        Double averageScore, List<Task> tasks) {
    }

    public record Task(long id, String key, String kind, String status, int attempts, int maxAttempts, String queue,
                       String priority, List<String> dependsOn, JsonNode result, JsonNode metrics, Double score,
                       String error, String workerId,
                       OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                       OffsetDateTime nextRunAt) {
    }

    public record Event(long id, OffsetDateTime at, String type, Long taskId, String taskKey, String fromStatus,
                        String toStatus, Integer attempt, String workerId, String detail) {
    }
}
