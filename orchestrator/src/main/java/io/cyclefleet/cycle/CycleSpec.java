package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** A cycle as an operator submits it: a DAG of steps and quality gates. Validated whole by {@link CyclePlanner}. */
public record CycleSpec(String name, List<StepSpec> steps, List<GateSpec> gates) {

    public record StepSpec(String key, String kind, List<String> dependsOn, JsonNode params, String queue,
                           String priority, RetrySpec retry, String timeout) {
    }

    public record RetrySpec(Integer maxAttempts, String backoff, String maxBackoff) {
    }

    /**
     * A quality gate: a node of the DAG that the orchestrator evaluates once the steps it depends on have
     * succeeded. It passes when every condition holds; when it fails, everything downstream is skipped.
     */
    public record GateSpec(String key, List<String> dependsOn, List<ConditionSpec> conditions) {
    }

    /**
     * Either {@code step} + {@code metric} (a metric the step reported, or {@code score}), or
     * {@code aggregate: "averageScore"} over {@code steps} (default: all the gate depends on); compared with
     * {@code op} (&lt; &lt;= &gt; &gt;= == !=) against {@code threshold}.
     */
    public record ConditionSpec(String step, String metric, String aggregate, List<String> steps, String op, Double threshold) {
    }
}
