package io.cyclefleet.handler;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a cycle report shows, as read from Postgres at one moment (one snapshot): the cycle, every task (steps
 * and gates, both branches), the gate evaluations and the newest part of the timeline. The renderers
 * ({@link ReportRenderer}) are pure functions of it.
 *
 * @param reportTaskId the task writing the report (the report step itself, RUNNING while it writes)
 * @param totalEvents  how many events the cycle's timeline has; {@code timeline} holds the newest of them
 */
public record ReportData(String title, Instant generatedAt, long reportTaskId, String reportStep, int reportAttempt,
                         Cycle cycle, List<Step> steps, List<GateEvaluation> gates, List<Event> timeline, long totalEvents) {

    public ReportData {
        steps = List.copyOf(steps);
        gates = List.copyOf(gates);
        timeline = List.copyOf(timeline);
    }

    public record Cycle(UUID id, String name, String target, int iteration, String status, String error, Instant createdAt,
                        Instant finishedAt, Instant deadlineAt, Instant failureDetectedAt, String rollbackCause, Long mttrMs) {
    }

    /**
     * One task row. {@code result} is the handler's summary as JSON text when it is small enough to quote
     * ({@code resultBytes} is its full size either way, 0 when there is none); {@code error} may be abbreviated.
     */
    public record Step(long id, String key, String kind, String branch, String status, int attempt, int maxAttempts,
                       String workerId, Instant queuedAt, Instant startedAt, Instant finishedAt, Map<String, Double> metrics,
                       Double score, String error, String result, int resultBytes) {

        public Step {
            metrics = metrics == null ? Map.of() : metrics;
        }

        /** Milliseconds from start to end; null unless both are known (a running or unstarted step). */
        public Long durationMs() {
            return startedAt == null || finishedAt == null ? null : finishedAt.toEpochMilli() - startedAt.toEpochMilli();
        }
    }

    public record GateEvaluation(long id, String gate, String verdict, Instant evaluatedAt, List<Condition> conditions) {
    }

    /** One condition as the orchestrator judged it; {@code observed} is null when there was no data. */
    public record Condition(String condition, Double observed, String op, Double threshold, String verdict) {
    }

    public record Event(long id, Instant at, String type, String step, String fromStatus, String toStatus, Integer attempt,
                        String workerId, String detail) {
    }

    /** Mean of the scores the steps reported, rounded to two decimals (as the API shows it); null when none did. */
    public Double averageScore() {
        double sum = 0;
        int n = 0;
        for (Step s : steps) {
            if (s.score() != null) {
                sum += s.score();
                n++;
            }
        }
        return n == 0 ? null : Math.round(sum / n * 100) / 100.0;
    }

    public long scoredSteps() {
        return steps.stream().filter(s -> s.score() != null).count();
    }

    public long failedSteps() {
        return steps.stream().filter(s -> "FAILED".equals(s.status())).count();
    }

    public long metricCount() {
        return steps.stream().mapToLong(s -> s.metrics().size()).sum();
    }
}
