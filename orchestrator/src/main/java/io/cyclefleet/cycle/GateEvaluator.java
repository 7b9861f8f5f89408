package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Judges a quality gate from the metrics and scores its upstream steps reported. Pure: no I/O. A
 * condition whose input is missing is "no_data" and fails the gate: missing data never passes.
 */
public final class GateEvaluator {

    /** What one step reported. */
    public record Reported(Map<String, Double> metrics, Double score) {
    }

    public record ConditionResult(String condition, Double observed, String op, double threshold, String verdict) {
    }

    public record Evaluation(boolean passed, List<ConditionResult> conditions) {
        public String summary() {
            List<String> failed = conditions.stream().filter(c -> !"pass".equals(c.verdict()))
                    .map(c -> c.condition() + " " + c.op() + " " + fmt(c.threshold()) + " ("
                            + ("no_data".equals(c.verdict()) ? "no data" : "observed " + fmt(c.observed())) + ")")
                    .toList();
            return failed.isEmpty() ? "all " + conditions.size() + " condition(s) passed"
                    : "gate failed: " + String.join("; ", failed);
        }
    }

    private GateEvaluator() {
    }

    /** {@code conditions} as validated by the planner; {@code upstream} keyed by step key. */
    public static Evaluation evaluate(JsonNode conditions, Map<String, Reported> upstream) {
        List<ConditionResult> results = new ArrayList<>();
        for (JsonNode c : conditions) {
            String op = c.path("op").asText();
            double threshold = c.path("threshold").asDouble();
            String label;
            Double observed;
            if (c.hasNonNull("aggregate")) {
                List<String> steps = new ArrayList<>();
                c.path("steps").forEach(s -> steps.add(s.asText()));
                if (steps.isEmpty()) {
                    steps.addAll(upstream.keySet());
                }
                label = "averageScore(" + String.join(",", steps) + ")";
                observed = averageScore(steps, upstream);
            } else {
                String step = c.path("step").asText();
                String metric = c.path("metric").asText();
                label = step + "." + metric;
                Reported r = upstream.get(step);
                observed = r == null ? null : "score".equals(metric) ? r.score() : r.metrics().get(metric);
            }
            String verdict = observed == null ? "no_data" : compare(observed, op, threshold) ? "pass" : "fail";
            results.add(new ConditionResult(label, observed, op, threshold, verdict));
        }
        return new Evaluation(results.stream().allMatch(r -> "pass".equals(r.verdict())), results);
    }

    /** Mean score of the steps that reported one; null when none did (no data). */
    private static Double averageScore(List<String> steps, Map<String, Reported> upstream) {
        double sum = 0;
        int n = 0;
        for (String s : steps) {
            Reported r = upstream.get(s);
            if (r != null && r.score() != null) {
                sum += r.score();
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    static boolean compare(double observed, String op, double threshold) {
        return io.cyclefleet.kinds.Comparison.holds(observed, op, threshold);
    }

    static String fmt(Double d) {
        return d == null ? "null" : d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : Double.toString(d);
    }
}
