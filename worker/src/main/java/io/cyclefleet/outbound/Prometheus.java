package io.cyclefleet.outbound;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Prometheus' HTTP API (/api/v1/query, /api/v1/query_range): queries are reads, so retried and guarded per server. */
@ApplicationScoped
public class Prometheus {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpCalls http;
    private final ObjectMapper json;

    public Prometheus(HttpCalls http, ObjectMapper json) {
        this.http = http;
        this.json = json;
    }

    /** The value of the query's first series now; empty when the result is empty or not a number (NaN). */
    public Optional<Double> instant(String base, String query) throws TaskFailure, InterruptedException {
        JsonNode data = call(base, "/api/v1/query?query=" + enc(query));
        JsonNode result = data.path("result");
        JsonNode value = data.path("resultType").asText().equals("scalar") ? result : result.path(0).path("value");
        return number(value.path(1));
    }

    /** Every value of the query's first series over {@code range} up to now, oldest first. */
    public List<Double> range(String base, String query, Duration range, Duration step) throws TaskFailure, InterruptedException {
        // rounded up: a range ending at the start of this second would miss a sample scraped within it
        Instant end = Instant.now().plusSeconds(1);
        JsonNode data = call(base, "/api/v1/query_range?query=" + enc(query) + "&start=" + end.minus(range).getEpochSecond()
                + "&end=" + end.getEpochSecond() + "&step=" + Math.max(1, step.toSeconds()));
        List<Double> out = new ArrayList<>();
        for (JsonNode v : data.path("result").path(0).path("values")) {
            number(v.path(1)).ifPresent(out::add);
        }
        return out;
    }

    private JsonNode call(String base, String path) throws TaskFailure, InterruptedException {
        String url = base.replaceAll("/+$", "") + path;
        HttpCalls.Reply r = http.get(url, TIMEOUT);
        String where = "prometheus " + HttpCalls.origin(url);
        JsonNode body;
        try {
            body = json.readTree(r.body());
        } catch (Exception e) {
            throw new TaskFailure(where + ": HTTP " + r.status() + ", not a Prometheus API answer", true);
        }
        if (r.status() != 200 || !"success".equals(body.path("status").asText())) {
            // 400/422: the query itself is wrong, asking again will not help
            throw new TaskFailure(where + ": " + body.path("errorType").asText("HTTP " + r.status()) + ": "
                    + body.path("error").asText(), r.status() >= 500);
        }
        return body.path("data");
    }

    private static Optional<Double> number(JsonNode v) {
        if (!v.isTextual()) {
            return Optional.empty();
        }
        try {
            double d = Double.parseDouble(v.asText());
            return Double.isFinite(d) ? Optional.of(d) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
