package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.cycle.CycleSpec.RetrySpec;
import io.cyclefleet.cycle.CycleSpec.StepSpec;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.Priority;
import io.cyclefleet.task.RetryPolicy;
import io.cyclefleet.task.TaskKindContract;
import io.cyclefleet.task.Violations;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Turns a spec into the task DAG, validating it whole first: every problem is reported, each naming its
 * field, and nothing is written unless there are none (invariant 6).
 */
@ApplicationScoped
public class CyclePlanner {

    static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    static final Pattern QUEUE = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    static final int MAX_NAME = 200;

    private final Map<String, TaskKindContract> kinds = new HashMap<>();
    private final OrchestratorConfig config;

    public CyclePlanner(Instance<TaskKindContract> contracts, OrchestratorConfig config) {
        contracts.forEach(c -> kinds.put(c.kind(), c));
        this.config = config;
    }

    public Set<String> kinds() {
        return new TreeSet<>(kinds.keySet());
    }

    public List<PlannedTask> plan(CycleSpec spec) {
        Violations v = new Violations();
        if (spec == null) {
            throw InvalidSpecException.of("$", "a cycle spec (JSON object) is required");
        }
        if (spec.name() == null || spec.name().isBlank()) {
            v.add("name", "is required");
        } else if (spec.name().length() > MAX_NAME) {
            v.add("name", "must be at most " + MAX_NAME + " characters");
        }
        List<StepSpec> steps = spec.steps();
        if (steps == null || steps.isEmpty()) {
            v.add("steps", "must list at least one step");
            throw new InvalidSpecException(v.list());
        }
        if (steps.size() > config.limits().maxSteps()) {
            v.add("steps", "has " + steps.size() + " steps; the limit is " + config.limits().maxSteps());
            throw new InvalidSpecException(v.list());
        }
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            StepSpec s = steps.get(i);
            String at = "steps[" + i + "]";
            if (s == null) {
                v.add(at, "must be a step object");
            } else if (s.key() == null || s.key().isBlank()) {
                v.add(at + ".key", "is required");
            } else if (!KEY.matcher(s.key()).matches()) {
                v.add(at + ".key", "'" + s.key() + "' must match " + KEY.pattern());
            } else if (index.putIfAbsent(s.key(), i) != null) {
                v.add(at + ".key", "duplicate key '" + s.key() + "' (also steps[" + index.get(s.key()) + "])");
            }
        }
        List<PlannedTask> planned = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            StepSpec s = steps.get(i);
            if (s != null) {
                PlannedTask t = step(s, "steps[" + i + "]", index, v);
                if (t != null) {
                    planned.add(t);
                }
            }
        }
        if (v.isEmpty()) {
            checkAcyclic(planned, v);
        }
        if (!v.isEmpty()) {
            throw new InvalidSpecException(v.list());
        }
        return planned;
    }

    private PlannedTask step(StepSpec s, String at, Map<String, Integer> index, Violations v) {
        int before = v.list().size();
        TaskKindContract contract = null;
        if (s.kind() == null || s.kind().isBlank()) {
            v.add(at + ".kind", "is required; known kinds: " + String.join(", ", kinds()));
        } else {
            contract = kinds.get(s.kind());
            if (contract == null) {
                v.add(at + ".kind", "unknown kind '" + s.kind() + "'; known kinds: " + String.join(", ", kinds()));
            }
        }
        List<String> deps = s.dependsOn() == null ? List.of() : s.dependsOn();
        Set<String> seen = new HashSet<>();
        for (int d = 0; d < deps.size(); d++) {
            String dep = deps.get(d);
            String dat = at + ".dependsOn[" + d + "]";
            if (dep == null || !index.containsKey(dep)) {
                v.add(dat, "unknown step '" + dep + "'");
            } else if (dep.equals(s.key())) {
                v.add(dat, "a step cannot depend on itself");
            } else if (!seen.add(dep)) {
                v.add(dat, "duplicate dependency '" + dep + "'");
            }
        }
        JsonNode params = s.params();
        String paramsJson = "{}";
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                v.add(at + ".params", "must be a JSON object");
            } else {
                paramsJson = params.toString();
                int bytes = paramsJson.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > config.limits().maxParamsBytes()) {
                    v.add(at + ".params", "is " + bytes + " bytes; the limit is " + config.limits().maxParamsBytes());
                }
            }
        }
        if (contract != null && (params == null || params.isNull() || params.isObject())) {
            contract.validateParams(params, at + ".params", v);
        }
        String queue = s.queue();
        if (queue == null) {
            queue = config.routes().getOrDefault(s.kind(), contract == null ? "default" : contract.defaultQueue());
        } else if (!QUEUE.matcher(queue).matches()) {
            v.add(at + ".queue", "'" + queue + "' must match " + QUEUE.pattern());
        }
        Priority priority = Priority.NORMAL;
        if (s.priority() != null) {
            try {
                priority = Priority.valueOf(s.priority().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                v.add(at + ".priority", "'" + s.priority() + "' must be one of high, normal, low");
            }
        }
        RetryPolicy retry = retry(s.retry(), at + ".retry", v);
        Duration timeout = s.timeout() == null ? config.defaults().timeout()
                : Params.duration(com.fasterxml.jackson.databind.node.TextNode.valueOf(s.timeout()), at + ".timeout", v, true,
                config.limits().maxTimeout());
        if (v.list().size() > before) {
            return null;
        }
        return new PlannedTask(s.key(), s.kind(), List.copyOf(deps), paramsJson, queue, priority, retry, timeout);
    }

    private RetryPolicy retry(RetrySpec r, String at, Violations v) {
        var d = config.defaults();
        if (r == null) {
            return new RetryPolicy(d.maxAttempts(), d.backoff(), d.maxBackoff());
        }
        int attempts = d.maxAttempts();
        if (r.maxAttempts() != null) {
            if (r.maxAttempts() < 1 || r.maxAttempts() > RetryPolicy.MAX_ATTEMPTS_LIMIT) {
                v.add(at + ".maxAttempts", "must be between 1 and " + RetryPolicy.MAX_ATTEMPTS_LIMIT + ", got " + r.maxAttempts());
            } else {
                attempts = r.maxAttempts();
            }
        }
        Duration backoff = r.backoff() == null ? d.backoff()
                : Params.duration(com.fasterxml.jackson.databind.node.TextNode.valueOf(r.backoff()), at + ".backoff", v, true, config.limits().maxBackoff());
        Duration max = r.maxBackoff() == null ? null
                : Params.duration(com.fasterxml.jackson.databind.node.TextNode.valueOf(r.maxBackoff()), at + ".maxBackoff", v, true, config.limits().maxBackoff());
        if (backoff != null && max != null && max.compareTo(backoff) < 0) {
            v.add(at + ".maxBackoff", "must not be shorter than backoff (" + r.backoff() + ")");
        }
        if (backoff == null) {
            return null;
        }
        if (max == null) {
            max = backoff.compareTo(d.maxBackoff()) > 0 ? backoff : d.maxBackoff();
        }
        return new RetryPolicy(attempts, backoff, max);
    }

    /** Kahn's algorithm; names one step on each cycle found. */
    private static void checkAcyclic(List<PlannedTask> tasks, Violations v) {
        Map<String, Integer> indegree = new HashMap<>();
        Map<String, List<String>> dependents = new HashMap<>();
        for (PlannedTask t : tasks) {
            indegree.put(t.key(), t.dependsOn().size());
            for (String dep : t.dependsOn()) {
                dependents.computeIfAbsent(dep, k -> new ArrayList<>()).add(t.key());
            }
        }
        Deque<String> ready = new ArrayDeque<>();
        indegree.forEach((k, n) -> {
            if (n == 0) {
                ready.add(k);
            }
        });
        int visited = 0;
        while (!ready.isEmpty()) {
            String k = ready.poll();
            visited++;
            for (String dependent : dependents.getOrDefault(k, List.of())) {
                if (indegree.merge(dependent, -1, Integer::sum) == 0) {
                    ready.add(dependent);
                }
            }
        }
        if (visited < tasks.size()) {
            for (int i = 0; i < tasks.size(); i++) {
                if (indegree.get(tasks.get(i).key()) > 0) {
                    v.add("steps[" + i + "].dependsOn", "step '" + tasks.get(i).key() + "' is on, or depends on, a dependency cycle");
                }
            }
        }
    }
}
