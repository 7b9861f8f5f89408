package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.cyclefleet.task.Params;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/** Handlers of the diagnostic kinds (contracts in shared-model's DiagnosticKinds). */
public final class DiagnosticHandlers {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private DiagnosticHandlers() {
    }

    @ApplicationScoped
    public static class Noop implements TaskHandler {
        @Override
        public String kind() {
            return "noop";
        }

        @Override
        public JsonNode handle(TaskContext context) {
            return null;
        }
    }

    @ApplicationScoped
    public static class Sleep implements TaskHandler {
        @Override
        public String kind() {
            return "sleep";
        }

        @Override
        public JsonNode handle(TaskContext context) throws InterruptedException {
            Duration d = Params.parseDuration(context.params().path("duration").asText());
            long start = System.nanoTime();
            Thread.sleep(d.toMillis());
            return JSON.objectNode().put("sleptMs", (System.nanoTime() - start) / 1_000_000);
        }
    }

    @ApplicationScoped
    public static class Fail implements TaskHandler {
        @Override
        public String kind() {
            return "fail";
        }

        @Override
        public JsonNode handle(TaskContext context) throws TaskFailure {
            int times = context.params().path("times").asInt();
            if (context.attempt() <= times) {
                throw new TaskFailure("planned failure " + context.attempt() + " of " + times, true);
            }
            return JSON.objectNode().put("succeededOnAttempt", context.attempt());
        }
    }
}
