package io.cyclefleet.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.Violations;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code observed op threshold}: the only kind of condition a spec may state (gates, assessment thresholds,
 * analysis success conditions). No free-form code.
 */
public record Comparison(String op, double threshold) {

    public static final Set<String> OPS = Set.of("<", "<=", ">", ">=", "==", "!=");

    public boolean holds(double observed) {
        return holds(observed, op, threshold);
    }

    public static boolean holds(double observed, String op, double threshold) {
        return switch (op) {
            case "<" -> observed < threshold;
            case "<=" -> observed <= threshold;
            case ">" -> observed > threshold;
            case ">=" -> observed >= threshold;
            case "==" -> observed == threshold;
            case "!=" -> observed != threshold;
            default -> throw new IllegalArgumentException("unknown comparator " + op);
        };
    }

    @Override
    public String toString() {
        return op + " " + (threshold == Math.rint(threshold) && Math.abs(threshold) < 1e15 ? Long.toString((long) threshold) : Double.toString(threshold));
    }

    /** Validates {@code {op, threshold}} (with any {@code extra} fields allowed) at {@code path}. */
    public static void validate(JsonNode node, String path, Violations v, Set<String> extra) {
        if (node == null || !node.isObject()) {
            v.add(path, "must be an object {op, threshold}");
            return;
        }
        Set<String> known = new java.util.HashSet<>(extra);
        known.add("op");
        known.add("threshold");
        Params.onlyKnown(node, path, v, known);
        if (!node.path("op").isTextual() || !OPS.contains(node.path("op").asText())) {
            v.add(path + ".op", "must be one of " + new TreeSet<>(OPS));
        }
        Params.number(node.get("threshold"), path + ".threshold", v, true);
    }

    public static Comparison of(JsonNode node) {
        return new Comparison(node.path("op").asText(), node.path("threshold").asDouble());
    }
}
