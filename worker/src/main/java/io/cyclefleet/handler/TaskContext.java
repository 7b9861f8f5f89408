package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.UUID;

/** What a handler knows about the attempt it runs. {@code params} were validated at submission. */
public record TaskContext(long taskId, UUID cycleId, String key, int attempt, JsonNode params, Instant deadline) {
}
