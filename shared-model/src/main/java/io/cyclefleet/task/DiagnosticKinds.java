package io.cyclefleet.task;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Set;

/** Contracts of the diagnostic kinds every fleet needs for smoke tests and benchmarks. */
public final class DiagnosticKinds {

    private DiagnosticKinds() {
    }

    /** Does nothing and succeeds: measures the queue itself. */
    @ApplicationScoped
    public static class Noop implements TaskKindContract {
        @Override
        public String kind() {
            return "noop";
        }

        @Override
        public void validateParams(JsonNode params, String path, Violations v) {
            Params.onlyKnown(params, path, v, Set.of());
        }
    }

    /** Sleeps for {@code params.duration}: a long task whose lease must be extended by heartbeat. */
    @ApplicationScoped
    public static class Sleep implements TaskKindContract {
        public static final Duration MAX = Duration.ofHours(1);

        @Override
        public String kind() {
            return "sleep";
        }

        @Override
        public void validateParams(JsonNode params, String path, Violations v) {
            Params.onlyKnown(params, path, v, Set.of("duration"));
            Params.duration(params == null ? null : params.get("duration"), path + ".duration", v, true, MAX);
        }
    }

    /**
     * Reports the metrics and score given in its params ({@code metrics: {name: number}}, {@code score:
     * 1..10}): drives quality gates, rollbacks and iterations on purpose in tests and demos.
     */
    @ApplicationScoped
    public static class Metric implements TaskKindContract {
        @Override
        public String kind() {
            return "metric";
        }

        @Override
        public void validateParams(JsonNode params, String path, Violations v) {
            Params.onlyKnown(params, path, v, Set.of("metrics", "score"));
            JsonNode metrics = params == null ? null : params.get("metrics");
            if (metrics != null && !metrics.isNull()) {
                if (!metrics.isObject()) {
                    v.add(path + ".metrics", "must be an object of metric name to number");
                } else if (metrics.size() > TaskResult.MAX_METRICS) {
                    v.add(path + ".metrics", "has " + metrics.size() + " metrics; the limit is " + TaskResult.MAX_METRICS);
                } else {
                    metrics.fields().forEachRemaining(e -> {
                        if (!TaskResult.METRIC_NAME.matcher(e.getKey()).matches()) {
                            v.add(path + ".metrics." + e.getKey(), "metric names must match " + TaskResult.METRIC_NAME.pattern());
                        } else if (!e.getValue().isNumber() || !Double.isFinite(e.getValue().asDouble())) {
                            v.add(path + ".metrics." + e.getKey(), "must be a finite number");
                        }
                    });
                }
            }
            JsonNode score = params == null ? null : params.get("score");
            if (score != null && !score.isNull() && (!score.isNumber() || score.asDouble() < 1 || score.asDouble() > 10)) {
                v.add(path + ".score", "must be a number from 1 to 10");
            }
        }
    }

    /** Fails its first {@code params.times} attempts, then succeeds: drives retries on purpose. */
    @ApplicationScoped
    public static class Fail implements TaskKindContract {
        @Override
        public String kind() {
            return "fail";
        }

        @Override
        public void validateParams(JsonNode params, String path, Violations v) {
            Params.onlyKnown(params, path, v, Set.of("times"));
            Params.integer(params == null ? null : params.get("times"), path + ".times", v, true, 0, RetryPolicy.MAX_ATTEMPTS_LIMIT);
        }
    }

    /**
     * Runs for {@code params.duration} ignoring interruption on its first {@code params.times} attempts (every
     * attempt when absent), then succeeds at once: a handler that will not stop, for the worker's hang detection.
     * Refused unless {@code cyclefleet.diagnostics.hang-enabled}: each such step makes a worker not ready for up to an
     * hour, which no one who may submit a cycle should be able to do to a production fleet.
     */
    @ApplicationScoped
    public static class Hang implements TaskKindContract {
        private final boolean enabled;

        public Hang(@org.eclipse.microprofile.config.inject.ConfigProperty(name = "cyclefleet.diagnostics.hang-enabled",
                defaultValue = "false") boolean enabled) {
            this.enabled = enabled;
        }

        @Override
        public String kind() {
            return "hang";
        }

        @Override
        public void validateParams(JsonNode params, String path, Violations v) {
            if (!enabled) {
                v.add(path, "kind 'hang' is disabled on this orchestrator (cyclefleet.diagnostics.hang-enabled=false): it exists for "
                        + "tests of hang detection");
                return;
            }
            Params.onlyKnown(params, path, v, Set.of("duration", "times"));
            Params.duration(params == null ? null : params.get("duration"), path + ".duration", v, true, Sleep.MAX);
            Params.integer(params == null ? null : params.get("times"), path + ".times", v, false, 0, RetryPolicy.MAX_ATTEMPTS_LIMIT);
        }
    }
}
