package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** A cycle as an operator submits it: a DAG of steps. Validated whole by {@link SpecValidator}. */
public record CycleSpec(String name, List<StepSpec> steps) {

    public record StepSpec(String key, String kind, List<String> dependsOn, JsonNode params, String queue,
                           String priority, RetrySpec retry, String timeout) {
    }

    public record RetrySpec(Integer maxAttempts, String backoff, String maxBackoff) {
    }
}
