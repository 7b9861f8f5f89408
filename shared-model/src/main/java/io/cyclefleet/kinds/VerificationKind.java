package io.cyclefleet.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskKindContract;
import io.cyclefleet.task.TaskResult;
import io.cyclefleet.task.Violations;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * {@code deployment-verification}: any of
 * <pre>{"rollout": {"adapter": "prod", "timeout": "PT5M", "interval": "PT2S"},
 *  "smoke": [HTTP checks],
 *  "analysis": [{"name": "error_rate",
 *                "provider": {"prometheus": {"url": "…", "query": "…"}} | {"http": {"url": "…", "pointer": "/errorRate"}},
 *                "interval": "PT5S", "count": 6, "initialDelay": "PT0S",
 *                "successCondition": {"op": "<=", "threshold": 0.01}, "failureLimit": 0, "inconclusiveLimit": 1}]}</pre>
 * The analysis follows Argo Rollouts: {@code count} measurements {@code interval} apart, each successful,
 * failed (condition false) or inconclusive (no data, provider error); failed when failures exceed
 * {@code failureLimit}, inconclusive when those exceed {@code inconclusiveLimit}.
 */
@ApplicationScoped
public class VerificationKind implements TaskKindContract {

    static final Duration MAX_WAIT = Duration.ofHours(1);

    @Override
    public String kind() {
        return "deployment-verification";
    }

    @Override
    public void validateParams(JsonNode p, String path, Violations v) {
        if (p == null || p.isNull() || !p.isObject()) {
            v.add(path, "is required: at least one of rollout, smoke, analysis");
            return;
        }
        Params.onlyKnown(p, path, v, Set.of("rollout", "smoke", "analysis"));
        if (!p.has("rollout") && !p.has("smoke") && !p.has("analysis")) {
            v.add(path, "must verify something: rollout, smoke or analysis");
        }
        JsonNode rollout = p.get("rollout");
        if (rollout != null) {
            Params.onlyKnown(rollout, path + ".rollout", v, Set.of("adapter", "timeout", "interval"));
            Params.text(rollout.get("adapter"), path + ".rollout.adapter", v, true, DeploymentKind.ADAPTER, 64);
            Params.duration(rollout.get("timeout"), path + ".rollout.timeout", v, false, MAX_WAIT);
            Params.duration(rollout.get("interval"), path + ".rollout.interval", v, false, Duration.ofMinutes(5));
        }
        List<JsonNode> smoke = Params.array(p.get("smoke"), path + ".smoke", v, false, 50);
        for (int i = 0; i < smoke.size(); i++) {
            HttpCheckParams.validate(smoke.get(i), path + ".smoke[" + i + "]", v);
        }
        List<JsonNode> analyses = Params.array(p.get("analysis"), path + ".analysis", v, false, 10);
        for (int i = 0; i < analyses.size(); i++) {
            analysis(analyses.get(i), path + ".analysis[" + i + "]", v);
        }
    }

    private static void analysis(JsonNode a, String at, Violations v) {
        Params.onlyKnown(a, at, v, Set.of("name", "provider", "interval", "count", "initialDelay", "successCondition",
                "failureLimit", "inconclusiveLimit"));
        Params.text(a.get("name"), at + ".name", v, true, TaskResult.METRIC_NAME, 100);
        JsonNode provider = a.get("provider");
        if (provider == null || !provider.isObject() || provider.size() != 1
                || !(provider.has("prometheus") || provider.has("http"))) {
            v.add(at + ".provider", "must be {\"prometheus\": {url, query}} or {\"http\": {url, pointer}}");
        } else if (provider.has("prometheus")) {
            JsonNode pr = provider.get("prometheus");
            Params.onlyKnown(pr, at + ".provider.prometheus", v, Set.of("url", "query"));
            Params.url(pr.get("url"), at + ".provider.prometheus.url", v, true);
            Params.text(pr.get("query"), at + ".provider.prometheus.query", v, true, null, 4000);
        } else {
            JsonNode h = provider.get("http");
            Params.onlyKnown(h, at + ".provider.http", v, Set.of("url", "pointer"));
            Params.url(h.get("url"), at + ".provider.http.url", v, true);
            Params.text(h.get("pointer"), at + ".provider.http.pointer", v, true, java.util.regex.Pattern.compile("(/[^/]*)+"), 256);
        }
        Params.duration(a.get("interval"), at + ".interval", v, false, Duration.ofMinutes(10));
        Params.duration(a.get("initialDelay"), at + ".initialDelay", v, false, Duration.ofMinutes(10));
        Params.integer(a.get("count"), at + ".count", v, false, 1, 100);
        Comparison.validate(a.get("successCondition"), at + ".successCondition", v, Set.of());
        Params.integer(a.get("failureLimit"), at + ".failureLimit", v, false, 0, 100);
        Params.integer(a.get("inconclusiveLimit"), at + ".inconclusiveLimit", v, false, 0, 100);
    }
}
