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
     * {@code waitingForCycle}: while WAITING_FOR_TARGET, the cycle changing the same target. {@code deployments}: the
     * intents its deployment and rollback steps recorded before acting.
     */
    public record Cycle(UUID id, String name, String target, String status, String error, OffsetDateTime createdAt,
                        OffsetDateTime updatedAt, OffsetDateTime finishedAt, OffsetDateTime deadlineAt,
                        int iteration, UUID parentId, UUID nextIterationId, OffsetDateTime nextIterationAt,
                        List<String> awaitingApproval, UUID waitingForCycle, Rollback rollback, Map<String, Long> taskCounts,
                        Double averageScore, List<Deployment> deployments, List<Task> tasks) {
    }

    /**
     * The rollback branch's run: when the failure was detected, why, who started it ({@code trigger}, {@code failure}
     * after a deployment, {@code deadline}, {@code operator}), its deadline, and the time to recover (MTTR).
     */
    public record Rollback(OffsetDateTime failureDetectedAt, String cause, String startedBy, OffsetDateTime deadlineAt,
                           OffsetDateTime finishedAt, Long mttrMs) {
    }

    /**
     * A deployment intent: what an attempt of a deployment or rollback step was about to do, recorded before its
     * adapter acted. {@code previousVersion} is what a rollback restores; {@code endedAt} null with {@code actUntil}
     * in the future means the attempt may still be acting.
     */
    public record Deployment(long fencingToken, String step, int attempt, String action, String adapter, String workerId,
                             String previousVersion, String observedVersion, String toVersion, OffsetDateTime recordedAt,
                             OffsetDateTime actUntil, OffsetDateTime endedAt) {
    }

    /** {@code leaseLosses}: attempts that lost their worker's lease (a fault) and were redelivered without counting. */
    public record Task(long id, String key, String kind, String branch, String risk, String status, int attempts,
                       int maxAttempts, int leaseLosses, String queue, String priority, List<String> dependsOn, JsonNode result,
                       JsonNode metrics, Double score, String error, String workerId, boolean needsApproval,
                       String approvedBy, OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                       OffsetDateTime nextRunAt) {
    }
}
