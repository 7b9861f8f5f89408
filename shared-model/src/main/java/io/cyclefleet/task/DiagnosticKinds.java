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
}
