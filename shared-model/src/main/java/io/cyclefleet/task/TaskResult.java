package io.cyclefleet.task;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a handler returns: a summary for people (any JSON, may be null), named numeric metrics that quality
 * gates can test, and an optional score from 1 to 10.
 */
public record TaskResult(JsonNode summary, Map<String, Double> metrics, Double score) {

    public static final Pattern METRIC_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.:-]{0,99}");
    public static final int MAX_METRICS = 200;
    public static final double MIN_SCORE = 1;
    public static final double MAX_SCORE = 10;

    public TaskResult {
        metrics = metrics == null ? Map.of() : Map.copyOf(new TreeMap<>(metrics));
    }

    public static TaskResult of(JsonNode summary) {
        return new TaskResult(summary, Map.of(), null);
    }

    public static TaskResult empty() {
        return new TaskResult(null, Map.of(), null);
    }

    /** Why this result cannot be stored, or null when it can. */
    public String problem() {
        if (score != null && (score.isNaN() || score < MIN_SCORE || score > MAX_SCORE)) {
            return "score " + score + " is outside 1..10";
        }
        if (metrics.size() > MAX_METRICS) {
            return metrics.size() + " metrics; the limit is " + MAX_METRICS;
        }
        for (Map.Entry<String, Double> m : metrics.entrySet()) {
            if (!METRIC_NAME.matcher(m.getKey()).matches()) {
                return "metric name '" + m.getKey() + "' must match " + METRIC_NAME.pattern();
            }
            if (m.getValue() == null || !Double.isFinite(m.getValue())) {
                return "metric '" + m.getKey() + "' is not a finite number";
            }
        }
        return null;
    }
}
