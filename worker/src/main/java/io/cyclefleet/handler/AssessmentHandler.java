package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.kinds.Comparison;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.outbound.Prometheus;
import io.cyclefleet.outbound.StoreProbes;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code assessment}: probes the target (HTTP endpoints, Prometheus queries, Postgres and Redis) into named
 * metrics, and scores it 1–10 by the share of its thresholds that hold (a metric that could not be measured
 * fails its threshold). A probe that finds the target down is a measurement, not a task failure.
 */
@ApplicationScoped
public class AssessmentHandler implements TaskHandler {

    private final HttpCalls http;
    private final Prometheus prometheus;
    private final StoreProbes stores;
    private final ObjectMapper json;

    public AssessmentHandler(HttpCalls http, Prometheus prometheus, StoreProbes stores, ObjectMapper json) {
        this.http = http;
        this.prometheus = prometheus;
        this.stores = stores;
        this.json = json;
    }

    @Override
    public String kind() {
        return "assessment";
    }

    @Override
    public TaskResult handle(TaskContext context) throws Exception {
        JsonNode p = context.params();
        Map<String, Double> metrics = new TreeMap<>();
        ObjectNode summary = json.createObjectNode();
        ArrayNode notes = summary.putArray("notes");
        for (JsonNode h : p.path("http")) {
            probeHttp(h, metrics);
        }
        JsonNode prom = p.path("prometheus");
        for (JsonNode q : prom.path("queries")) {
            String name = q.path("name").asText();
            if (q.has("range")) {
                List<Double> values = prometheus.range(prom.path("url").asText(), q.path("query").asText(),
                        Params.parseDuration(q.get("range").asText()),
                        q.has("step") ? Params.parseDuration(q.get("step").asText()) : Duration.ofSeconds(15));
                if (values.isEmpty()) {
                    notes.add(name + ": no data");
                } else {
                    metrics.put(name, values.get(values.size() - 1));
                    metrics.put(name + ".avg", values.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
                    metrics.put(name + ".max", values.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
                }
            } else {
                Optional<Double> v = prometheus.instant(prom.path("url").asText(), q.path("query").asText());
                v.ifPresentOrElse(d -> metrics.put(name, d), () -> notes.add(name + ": no data"));
            }
        }
        for (JsonNode n : p.path("postgres")) {
            record(metrics, notes, "postgres." + n.asText(), stores.postgres(n.asText()));
        }
        for (JsonNode n : p.path("redis")) {
            record(metrics, notes, "redis." + n.asText(), stores.redis(n.asText()));
        }
        Double score = null;
        if (p.path("thresholds").size() > 0) {
            ArrayNode verdicts = summary.putArray("thresholds");
            int held = 0;
            for (JsonNode t : p.path("thresholds")) {
                String metric = t.path("metric").asText();
                Comparison c = Comparison.of(t);
                Double observed = metrics.get(metric);
                boolean ok = observed != null && c.holds(observed);
                held += ok ? 1 : 0;
                verdicts.addObject().put("metric", metric).put("condition", c.toString())
                        .put("observed", observed).put("verdict", observed == null ? "no_data" : ok ? "pass" : "fail");
            }
            score = Math.round((1 + 9.0 * held / p.path("thresholds").size()) * 10) / 10.0;
        }
        return new TaskResult(summary, metrics, score);
    }

    private void probeHttp(JsonNode h, Map<String, Double> metrics) throws InterruptedException {
        String name = h.path("name").asText();
        int n = h.path("requests").asInt(20);
        Duration timeout = h.has("timeout") ? Params.parseDuration(h.get("timeout").asText()) : Duration.ofSeconds(2);
        int expect = h.path("expectStatus").asInt(0);
        double[] latencies = new double[n];
        int available = 0;
        int errors = 0;
        for (int i = 0; i < n; i++) {
            HttpCalls.Reply r = http.probe("GET", h.path("url").asText(), Map.of(), null, timeout);
            latencies[i] = r.latencyMs();
            boolean answered = r.status() > 0 && r.status() < 500;
            available += answered ? 1 : 0;
            errors += (expect == 0 ? !answered : r.status() != expect) ? 1 : 0;
        }
        Arrays.sort(latencies);
        metrics.put(name + ".requests", (double) n);
        metrics.put(name + ".availability", (double) available / n);
        metrics.put(name + ".error_rate", (double) errors / n);
        metrics.put(name + ".p50_ms", percentile(latencies, 0.50));
        metrics.put(name + ".p95_ms", percentile(latencies, 0.95));
        metrics.put(name + ".p99_ms", percentile(latencies, 0.99));
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return Math.round(sorted[Math.max(0, rank - 1)] * 100) / 100.0;
    }

    private static void record(Map<String, Double> metrics, ArrayNode notes, String prefix, StoreProbes.Probe probe) {
        metrics.put(prefix + ".up", probe.up() ? 1.0 : 0.0);
        metrics.put(prefix + ".latency_ms", probe.latencyMs());
        if (probe.error() != null) {
            notes.add(probe.error());
        }
    }
}
