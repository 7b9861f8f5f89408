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
import java.util.regex.Pattern;

/**
 * {@code assessment}: probes the target and scores it.
 * <pre>{"http": [{"name": "home", "url": "http://…", "requests": 20, "timeout": "PT2S", "expectStatus": 200}],
 *  "prometheus": {"url": "http://…:9090", "queries": [{"name": "error_rate", "query": "…", "range": "PT5M", "step": "PT15S"}]},
 *  "postgres": ["fleet"], "redis": ["fleet"],
 *  "thresholds": [{"metric": "home.error_rate", "op": "<=", "threshold": 0.01}]}</pre>
 * Postgres and Redis targets are names the worker configures (cyclefleet.probes.*; "fleet" is its own).
 */
@ApplicationScoped
public class AssessmentKind implements TaskKindContract {

    static final Pattern PROBE = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    static final Duration MAX_RANGE = Duration.ofDays(7);

    @Override
    public String kind() {
        return "assessment";
    }

    @Override
    public void validateParams(JsonNode p, String path, Violations v) {
        if (p == null || p.isNull() || !p.isObject()) {
            v.add(path, "is required: at least one of http, prometheus, postgres, redis");
            return;
        }
        Params.onlyKnown(p, path, v, Set.of("http", "prometheus", "postgres", "redis", "thresholds"));
        if (!p.has("http") && !p.has("prometheus") && !p.has("postgres") && !p.has("redis")) {
            v.add(path, "must probe something: http, prometheus, postgres or redis");
        }
        List<JsonNode> http = Params.array(p.get("http"), path + ".http", v, false, 20);
        for (int i = 0; i < http.size(); i++) {
            String at = path + ".http[" + i + "]";
            JsonNode h = http.get(i);
            Params.onlyKnown(h, at, v, Set.of("name", "url", "requests", "timeout", "expectStatus"));
            Params.text(h.get("name"), at + ".name", v, true, HttpCheckParams.NAME, 64);
            Params.url(h.get("url"), at + ".url", v, true);
            Params.integer(h.get("requests"), at + ".requests", v, false, 1, 1000);
            Params.duration(h.get("timeout"), at + ".timeout", v, false, HttpCheckParams.MAX_TIMEOUT);
            Params.integer(h.get("expectStatus"), at + ".expectStatus", v, false, 100, 599);
        }
        JsonNode prom = p.get("prometheus");
        if (prom != null) {
            Params.onlyKnown(prom, path + ".prometheus", v, Set.of("url", "queries"));
            Params.url(prom.get("url"), path + ".prometheus.url", v, true);
            List<JsonNode> queries = Params.array(prom.get("queries"), path + ".prometheus.queries", v, true, 20);
            for (int i = 0; i < queries.size(); i++) {
                String at = path + ".prometheus.queries[" + i + "]";
                JsonNode q = queries.get(i);
                Params.onlyKnown(q, at, v, Set.of("name", "query", "range", "step"));
                Params.text(q.get("name"), at + ".name", v, true, TaskResult.METRIC_NAME, 100);
                Params.text(q.get("query"), at + ".query", v, true, null, 4000);
                Params.duration(q.get("range"), at + ".range", v, false, MAX_RANGE);
                Params.duration(q.get("step"), at + ".step", v, false, Duration.ofHours(1));
            }
        }
        for (String store : List.of("postgres", "redis")) {
            List<JsonNode> names = Params.array(p.get(store), path + "." + store, v, false, 10);
            for (int i = 0; i < names.size(); i++) {
                Params.text(names.get(i), path + "." + store + "[" + i + "]", v, true, PROBE, 64);
            }
        }
        List<JsonNode> thresholds = Params.array(p.get("thresholds"), path + ".thresholds", v, false, 50);
        for (int i = 0; i < thresholds.size(); i++) {
            String at = path + ".thresholds[" + i + "]";
            Comparison.validate(thresholds.get(i), at, v, Set.of("metric"));
            Params.text(thresholds.get(i).get("metric"), at + ".metric", v, true, TaskResult.METRIC_NAME, 100);
        }
    }
}
