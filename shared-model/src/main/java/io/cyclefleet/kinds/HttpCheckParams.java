package io.cyclefleet.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.Violations;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One HTTP check, as testing (smoke suites) and deployment-verification (smoke checks) take it:
 * <pre>{"name": "home", "method": "GET", "url": "http://…", "headers": {…}, "body": "…", "expectStatus": 200,
 *  "bodyContains": "ok", "json": {"pointer": "/status", "equals": "UP"}, "maxLatency": "PT0.5S", "timeout": "PT5S"}</pre>
 */
public final class HttpCheckParams {

    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    static final Set<String> FIELDS = Set.of("name", "method", "url", "headers", "body", "expectStatus", "bodyContains", "json",
            "maxLatency", "timeout");
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);

    private HttpCheckParams() {
    }

    public static void validate(JsonNode check, String path, Violations v) {
        if (check == null || !check.isObject()) {
            v.add(path, "must be a check object {name, url, expectStatus, …}");
            return;
        }
        Params.onlyKnown(check, path, v, FIELDS);
        Params.text(check.get("name"), path + ".name", v, true, NAME, 64);
        Params.url(check.get("url"), path + ".url", v, true);
        String method = Params.text(check.get("method"), path + ".method", v, false, null, 10);
        if (method != null && !METHODS.contains(method)) {
            v.add(path + ".method", "must be one of " + METHODS);
        }
        JsonNode headers = check.get("headers");
        if (headers != null && (!headers.isObject() || headers.size() > 20)) {
            v.add(path + ".headers", "must be an object of at most 20 header names to strings");
        }
        Params.text(check.get("body"), path + ".body", v, false, null, 65_536);
        Params.integer(check.get("expectStatus"), path + ".expectStatus", v, false, 100, 599);
        Params.text(check.get("bodyContains"), path + ".bodyContains", v, false, null, 1024);
        JsonNode json = check.get("json");
        if (json != null) {
            Params.onlyKnown(json, path + ".json", v, Set.of("pointer", "equals"));
            Params.text(json.get("pointer"), path + ".json.pointer", v, true, Pattern.compile("(/[^/]*)+"), 256);
            if (json.get("equals") == null || json.get("equals").isContainerNode()) {
                v.add(path + ".json.equals", "is required: the string, number or boolean expected at the pointer");
            }
        }
        Params.duration(check.get("maxLatency"), path + ".maxLatency", v, false, MAX_TIMEOUT);
        Params.duration(check.get("timeout"), path + ".timeout", v, false, MAX_TIMEOUT);
    }
}
