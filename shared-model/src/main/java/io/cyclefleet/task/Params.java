package io.cyclefleet.task;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;

/** Small validators shared by the kind contracts, so each names the offending field the same way. */
public final class Params {

    private Params() {
    }

    public static void onlyKnown(JsonNode params, String path, Violations v, Set<String> known) {
        if (params == null || params.isNull()) {
            return;
        }
        if (!params.isObject()) {
            v.add(path, "must be a JSON object");
            return;
        }
        for (Iterator<String> names = params.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                v.add(path + "." + name, "unknown parameter; allowed: " + (known.isEmpty() ? "none" : String.join(", ", known)));
            }
        }
    }

    /** Parses an ISO-8601 duration such as PT1S; null when absent or invalid (and then a violation is added). */
    public static Duration duration(JsonNode node, String path, Violations v, boolean required, Duration max) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            if (required) {
                v.add(path, "is required (ISO-8601 duration such as PT1S)");
            }
            return null;
        }
        if (!node.isTextual()) {
            v.add(path, "must be an ISO-8601 duration string such as PT1S");
            return null;
        }
        Duration d = parseDuration(node.asText());
        if (d == null) {
            v.add(path, "'" + node.asText() + "' is not an ISO-8601 duration such as PT1S");
            return null;
        }
        if (d.isNegative() || d.isZero()) {
            v.add(path, "must be positive, got " + node.asText());
            return null;
        }
        if (d.compareTo(max) > 0) {
            v.add(path, "must be at most " + max + ", got " + node.asText());
            return null;
        }
        return d;
    }

    public static Duration parseDuration(String text) {
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    public static Integer integer(JsonNode node, String path, Violations v, boolean required, int min, int max) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            if (required) {
                v.add(path, "is required (integer " + min + ".." + max + ")");
            }
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            v.add(path, "must be an integer " + min + ".." + max);
            return null;
        }
        int value = node.asInt();
        if (value < min || value > max) {
            v.add(path, "must be between " + min + " and " + max + ", got " + value);
            return null;
        }
        return value;
    }

    /** A string of at most {@code max} characters matching {@code pattern} (null: any). */
    public static String text(JsonNode node, String path, Violations v, boolean required, java.util.regex.Pattern pattern, int max) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            if (required) {
                v.add(path, "is required");
            }
            return null;
        }
        if (!node.isTextual() || node.asText().isEmpty() || node.asText().length() > max) {
            v.add(path, "must be a string of 1.." + max + " characters");
            return null;
        }
        if (pattern != null && !pattern.matcher(node.asText()).matches()) {
            v.add(path, "'" + node.asText() + "' must match " + pattern.pattern());
            return null;
        }
        return node.asText();
    }

    /** An absolute http(s) URL. */
    public static String url(JsonNode node, String path, Violations v, boolean required) {
        String text = text(node, path, v, required, null, 2048);
        if (text == null) {
            return null;
        }
        try {
            java.net.URI u = new java.net.URI(text);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                v.add(path, "'" + text + "' must be an absolute http or https URL");
                return null;
            }
        } catch (java.net.URISyntaxException e) {
            v.add(path, "'" + text + "' is not a URL: " + e.getReason());
            return null;
        }
        return text;
    }

    /** A finite number. */
    public static Double number(JsonNode node, String path, Violations v, boolean required) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            if (required) {
                v.add(path, "is required (a number)");
            }
            return null;
        }
        if (!node.isNumber() || !Double.isFinite(node.asDouble())) {
            v.add(path, "must be a finite number");
            return null;
        }
        return node.asDouble();
    }

    /** A JSON array of 1..max elements (empty list when absent and not required). */
    public static java.util.List<JsonNode> array(JsonNode node, String path, Violations v, boolean required, int max) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            if (required) {
                v.add(path, "is required (a list)");
            }
            return java.util.List.of();
        }
        if (!node.isArray() || node.isEmpty() || node.size() > max) {
            v.add(path, "must be a list of 1.." + max + " entries");
            return java.util.List.of();
        }
        java.util.List<JsonNode> out = new java.util.ArrayList<>();
        node.forEach(out::add);
        return out;
    }
}
