package io.cyclefleet.task;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the orchestrator and the workers agree on for one task kind: its name, its default queue and how
 * its params are validated before a cycle is accepted. The worker-side code that runs the kind is a
 * {@code TaskHandler} in the worker. Implementations are CDI beans; nothing else switches on kind.
 */
public interface TaskKindContract {

    String kind();

    default String defaultQueue() {
        return "default";
    }

    /**
     * Whether a step of this kind changes the cycle's target (a deployment, a rollback). A cycle with such a step
     * takes the target's lease, so that only one cycle changes a target at a time.
     */
    default boolean changesTarget() {
        return false;
    }

    /**
     * The deployment adapter a step of this kind changes, named in its (validated) params, if any: a cycle holds that
     * adapter's lease too, so that two cycles naming the same service differently still never change it at once.
     */
    default java.util.Optional<String> adapterOf(JsonNode params) {
        return java.util.Optional.empty();
    }

    /** Adds a violation per bad param; {@code path} is the JSON path of the params object. */
    void validateParams(JsonNode params, String path, Violations violations);
}
