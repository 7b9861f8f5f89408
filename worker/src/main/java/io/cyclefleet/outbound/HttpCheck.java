package io.cyclefleet.outbound;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.task.Params;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs one HTTP check (shape: {@code HttpCheckParams}) and says which of its expectations failed. */
public final class HttpCheck {

    public record Result(String name, boolean passed, int status, double latencyMs, List<String> failures) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpCheck() {
    }

    public static Result run(HttpCalls http, JsonNode check) throws InterruptedException {
        String name = check.path("name").asText();
        String url = check.path("url").asText();
        Duration timeout = check.has("timeout") ? Params.parseDuration(check.get("timeout").asText()) : Duration.ofSeconds(5);
        Map<String, String> headers = new LinkedHashMap<>();
        check.path("headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
        HttpCalls.Reply r = http.probe(check.path("method").asText("GET"), url, headers,
                check.has("body") ? check.get("body").asText() : null, timeout);
        List<String> failures = new ArrayList<>();
        String where = name + " (" + HttpCalls.origin(url) + ")";
        if (r.status() == 0) {
            failures.add(where + ": no response: " + r.body());
            return new Result(name, false, 0, r.latencyMs(), failures);
        }
        int expected = check.path("expectStatus").asInt(200);
        if (r.status() != expected) {
            failures.add(where + ": status " + r.status() + ", expected " + expected);
        }
        if (check.has("bodyContains") && !r.body().contains(check.get("bodyContains").asText())) {
            failures.add(where + ": body does not contain '" + check.get("bodyContains").asText() + "'");
        }
        if (check.has("json")) {
            String pointer = check.at("/json/pointer").asText();
            JsonNode want = check.at("/json/equals");
            try {
                JsonNode got = JSON.readTree(r.body()).at(pointer);
                if (got.isMissingNode() || !got.asText().equals(want.asText())) {
                    failures.add(where + ": " + pointer + " is " + (got.isMissingNode() ? "absent" : got.toString()) + ", expected " + want);
                }
            } catch (Exception e) {
                failures.add(where + ": body is not JSON, cannot read " + pointer);
            }
        }
        if (check.has("maxLatency")) {
            Duration max = Params.parseDuration(check.get("maxLatency").asText());
            if (r.latencyMs() > max.toMillis()) {
                failures.add(String.format(java.util.Locale.ROOT, "%s: took %.0f ms, limit %d ms", where, r.latencyMs(), max.toMillis()));
            }
        }
        return new Result(name, failures.isEmpty(), r.status(), r.latencyMs(), failures);
    }
}
