package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

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
        public TaskResult handle(TaskContext context) {
            return TaskResult.empty();
        }
    }

    @ApplicationScoped
    public static class Sleep implements TaskHandler {
        @Override
        public String kind() {
            return "sleep";
        }

        @Override
        public TaskResult handle(TaskContext context) throws InterruptedException {
            Duration d = Params.parseDuration(context.params().path("duration").asText());
            long start = System.nanoTime();
            Thread.sleep(d.toMillis());
            return TaskResult.of(JSON.objectNode().put("sleptMs", (System.nanoTime() - start) / 1_000_000));
        }
    }

    @ApplicationScoped
    public static class Fail implements TaskHandler {
        @Override
        public String kind() {
            return "fail";
        }

        @Override
        public TaskResult handle(TaskContext context) throws TaskFailure {
            int times = context.params().path("times").asInt();
            if (context.attempt() <= times) {
                throw new TaskFailure("planned failure " + context.attempt() + " of " + times, true);
            }
            return TaskResult.of(JSON.objectNode().put("succeededOnAttempt", context.attempt()));
        }
    }

    @ApplicationScoped
    public static class Metric implements TaskHandler {
        @Override
        public String kind() {
            return "metric";
        }

        @Override
        public TaskResult handle(TaskContext context) {
            Map<String, Double> metrics = new TreeMap<>();
            context.params().path("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
            JsonNode score = context.params().get("score");
            return new TaskResult(null, metrics, score == null || score.isNull() ? null : score.asDouble());
        }
    }

    @ApplicationScoped
    public static class Hang implements TaskHandler {
        @Override
        public String kind() {
            return "hang";
        }

        @Override
        public TaskResult handle(TaskContext context) {
            JsonNode times = context.params().get("times");
            if (times != null && context.attempt() > times.asInt()) {
                return TaskResult.of(JSON.objectNode().put("hung", false).put("attempt", context.attempt()));
            }
            long end = System.nanoTime() + Params.parseDuration(context.params().path("duration").asText()).toNanos();
            int ignored = 0;
            for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
                try {
                    Thread.sleep(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    ignored++; // on purpose: this kind stands for a handler that does not stop when asked
                }
            }
            return TaskResult.of(JSON.objectNode().put("hung", true).put("interruptsIgnored", ignored));
        }
    }
}
