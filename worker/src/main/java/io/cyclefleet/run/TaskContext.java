package io.cyclefleet.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.UUID;

/**
 * What a handler knows about the attempt it runs. {@code params} were validated at submission; {@code workerId}
 * is the worker holding the attempt's lease (the owner a fenced write of the handler must name).
 */
public record TaskContext(long taskId, UUID cycleId, String key, int attempt, JsonNode params, Instant deadline, String workerId) {

    /** An attempt outside a worker's run (tests, tools): no lease holder, so fenced writes refuse it. */
    public TaskContext(long taskId, UUID cycleId, String key, int attempt, JsonNode params, Instant deadline) {
        this(taskId, cycleId, key, attempt, params, deadline, null);
    }
}
