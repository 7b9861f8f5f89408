package io.cyclefleet.cycle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A cycle as an operator submits it: a DAG of steps and quality gates, optionally built on a template, with
 * a rollback branch, a risk ceiling for unattended steps, an iteration trigger and a deadline. Validated whole
 * by {@link CyclePlanner}; the format is documented in docs/cycles.md.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CycleSpec(String template, String name, String target, List<StepSpec> steps, List<GateSpec> gates,
                        RollbackSpec rollback, String maxAutoRisk, IterateSpec iterate, String deadline, String rollbackDeadline,
                        String onTargetBusy, Boolean incidentOnFailure) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StepSpec(String key, String kind, List<String> dependsOn, JsonNode params, String queue,
                           String priority, RetrySpec retry, String timeout, String risk) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RetrySpec(Integer maxAttempts, String backoff, String maxBackoff) {
    }

    /**
     * A quality gate: a node of the DAG that the orchestrator evaluates once the steps it depends on have
     * succeeded. It passes when every condition holds; when it fails, everything downstream is skipped.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GateSpec(String key, List<String> dependsOn, List<ConditionSpec> conditions) {
    }

    /**
     * Either {@code step} + {@code metric} (a metric the step reported, or {@code score}), or
     * {@code aggregate: "averageScore"} over {@code steps} (default: all the gate depends on); compared with
     * {@code op} (&lt; &lt;= &gt; &gt;= == !=) against {@code threshold}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ConditionSpec(String step, String metric, String aggregate, List<String> steps, String op, Double threshold) {
    }

    /**
     * The compensation branch: its steps and gates wait until one of the {@code triggers} (steps or gates of
     * the main DAG) fails, then run without anyone asking; they depend only on each other.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RollbackSpec(List<String> triggers, List<StepSpec> steps, List<GateSpec> gates) {
    }

    /** Start iteration n+1 of this spec after {@code delay} while the average score stays below {@code untilScore}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record IterateSpec(Double untilScore, Integer maxIterations, String delay) {
    }
}
