package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.deploy.Adapters;
import io.cyclefleet.deploy.RolloutStatus;
import io.cyclefleet.deploy.RolloutWaiter;
import io.cyclefleet.kinds.Comparison;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.outbound.HttpCheck;
import io.cyclefleet.outbound.Prometheus;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code deployment-verification}: the rollout (when asked, through the adapter, with Kubernetes' semantics),
 * smoke checks, then metric analysis in the style of Argo Rollouts. Every
 * part runs and is measured; the step fails (not retried: a verdict is not a glitch) when any part failed,
 * with the measurements kept on the task so the incident shows what tripped against which threshold.
 */
@ApplicationScoped
public class VerificationHandler implements TaskHandler {

    private final HttpCalls http;
    private final Prometheus prometheus;
    private final ObjectMapper json;
    private final Adapters adapters;

    public VerificationHandler(HttpCalls http, Prometheus prometheus, ObjectMapper json, Adapters adapters) {
        this.http = http;
        this.prometheus = prometheus;
        this.json = json;
        this.adapters = adapters;
    }

    @Override
    public String kind() {
        return "deployment-verification";
    }

    @Override
    public TaskResult handle(TaskContext context) throws Exception {
        JsonNode p = context.params();
        Map<String, Double> metrics = new TreeMap<>();
        ObjectNode summary = json.createObjectNode();
        List<String> problems = new ArrayList<>();
        if (p.has("rollout")) {
            // first: smoke checks and measurements of a rollout that has not finished would judge the old version
            JsonNode r = p.get("rollout");
            Adapters.Resolved a = adapters.resolve(r.path("adapter").asText());
            Optional<RolloutStatus> done = RolloutWaiter.awaitRollout(a.implementation(), a.adapter(), context,
                    r.has("timeout") ? Params.parseDuration(r.get("timeout").asText()) : Duration.ofMinutes(5),
                    r.has("interval") ? Params.parseDuration(r.get("interval").asText()) : Duration.ofSeconds(2));
            done.ifPresent(s -> {
                summary.set("rollout", json.valueToTree(s));
                metrics.put("rollout.updated", (double) s.updated());
                metrics.put("rollout.available", (double) s.available());
            });
        }
        if (p.has("smoke")) {
            ArrayNode checks = summary.putArray("smoke");
            int passed = 0;
            for (JsonNode check : p.get("smoke")) {
                HttpCheck.Result r = HttpCheck.run(http, check);
                checks.add(json.valueToTree(r));
                passed += r.passed() ? 1 : 0;
                problems.addAll(r.failures());
            }
            metrics.put("smoke.passed", (double) passed);
            metrics.put("smoke.failed", (double) (p.get("smoke").size() - passed));
        }
        ArrayNode analyses = summary.putArray("analysis");
        for (JsonNode a : p.path("analysis")) {
            analyze(a, metrics, analyses.addObject()).ifPresent(problems::add);
        }
        if (!problems.isEmpty()) {
            summary.put("verdict", "fail");
            throw new TaskFailure("verification failed: " + String.join("; ", problems), false, new TaskResult(summary, metrics, null));
        }
        summary.put("verdict", "pass");
        return new TaskResult(summary, metrics, 10.0);
    }

    /** Runs one analysis; returns why it failed, if it did. */
    private Optional<String> analyze(JsonNode a, Map<String, Double> metrics, ObjectNode out) throws InterruptedException {
        String name = a.path("name").asText();
        int count = a.path("count").asInt(1);
        Duration interval = a.has("interval") ? Params.parseDuration(a.get("interval").asText()) : Duration.ofSeconds(5);
        int failureLimit = a.path("failureLimit").asInt(0);
        int inconclusiveLimit = a.path("inconclusiveLimit").asInt(0);
        Comparison success = Comparison.of(a.path("successCondition"));
        if (a.has("initialDelay")) {
            Thread.sleep(Params.parseDuration(a.get("initialDelay").asText()).toMillis());
        }
        out.put("name", name).put("successCondition", "result " + success);
        ArrayNode measurements = out.putArray("measurements");
        int ok = 0;
        int failed = 0;
        int inconclusive = 0;
        List<String> breaches = new ArrayList<>();
        Double last = null;
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                Thread.sleep(interval.toMillis()); // the analysis' own cadence, as in Argo's interval
            }
            ObjectNode m = measurements.addObject();
            try {
                Optional<Double> value = measure(a.path("provider"));
                if (value.isEmpty()) {
                    inconclusive++;
                    m.put("phase", "Inconclusive").put("message", "no data");
                } else {
                    last = value.get();
                    boolean good = success.holds(last);
                    m.put("value", last).put("phase", good ? "Successful" : "Failed");
                    if (good) {
                        ok++;
                    } else {
                        failed++;
                        breaches.add(fmt(last));
                    }
                }
            } catch (TaskFailure e) {
                inconclusive++;
                m.put("phase", "Error").put("message", e.getMessage());
            }
            if (failed > failureLimit || inconclusive > inconclusiveLimit) {
                break; // Argo stops measuring once the verdict cannot change
            }
        }
        metrics.put(name + ".successful", (double) ok);
        metrics.put(name + ".failed", (double) failed);
        metrics.put(name + ".inconclusive", (double) inconclusive);
        if (last != null) {
            metrics.put(name, last);
        }
        String phase = failed > failureLimit ? "Failed" : inconclusive > inconclusiveLimit ? "Inconclusive" : "Successful";
        out.put("phase", phase);
        return switch (phase) {
            case "Failed" -> Optional.of("analysis " + name + " failed: " + failed + " of " + measurements.size()
                    + " measurements breached result " + success + " (observed " + String.join(", ", breaches)
                    + "; failure limit " + failureLimit + ")");
            case "Inconclusive" -> Optional.of("analysis " + name + " inconclusive: " + inconclusive + " of " + measurements.size()
                    + " measurements had no data or errors (limit " + inconclusiveLimit + ")" + lastMessage(measurements));
            default -> Optional.empty();
        };
    }

    private Optional<Double> measure(JsonNode provider) throws TaskFailure, InterruptedException {
        if (provider.has("prometheus")) {
            JsonNode pr = provider.get("prometheus");
            return prometheus.instant(pr.path("url").asText(), pr.path("query").asText());
        }
        JsonNode h = provider.get("http");
        HttpCalls.Reply r = http.get(h.path("url").asText(), Duration.ofSeconds(5));
        if (r.status() != 200) {
            throw new TaskFailure(HttpCalls.origin(h.path("url").asText()) + ": HTTP " + r.status(), true);
        }
        try {
            JsonNode v = json.readTree(r.body()).at(h.path("pointer").asText());
            return v.isNumber() ? Optional.of(v.asDouble()) : Optional.empty();
        } catch (Exception e) {
            throw new TaskFailure(HttpCalls.origin(h.path("url").asText()) + ": answer is not JSON", true);
        }
    }

    private static String lastMessage(ArrayNode measurements) {
        JsonNode last = measurements.get(measurements.size() - 1);
        return last.has("message") ? "; last: " + last.get("message").asText() : "";
    }

    private static String fmt(double d) {
        return new java.math.BigDecimal(d).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }
}
