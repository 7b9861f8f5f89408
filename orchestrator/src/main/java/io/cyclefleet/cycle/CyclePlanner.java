package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.cycle.CycleSpec.ConditionSpec;
import io.cyclefleet.cycle.CycleSpec.GateSpec;
import io.cyclefleet.cycle.CycleSpec.RetrySpec;
import io.cyclefleet.cycle.CycleSpec.StepSpec;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.Priority;
import io.cyclefleet.task.RetryPolicy;
import io.cyclefleet.task.TaskKindContract;
import io.cyclefleet.task.TaskResult;
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
    static final int MAX_GATES = 100;
    static final int MAX_CONDITIONS = 50;
    static final Set<String> COMPARATORS = Set.of("<", "<=", ">", ">=", "==", "!=");
    /** The built-in kind of gate nodes: evaluated by the orchestrator, never put on a queue. */
    public static final String GATE_KIND = "gate";

    private final Map<String, TaskKindContract> kinds = new HashMap<>();
    private final OrchestratorConfig config;
    private final ObjectMapper json;

    public CyclePlanner(Instance<TaskKindContract> contracts, OrchestratorConfig config, ObjectMapper json) {
        contracts.forEach(c -> kinds.put(c.kind(), c));
        this.config = config;
        this.json = json;
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
        Map<String, Integer> gateIndex = new LinkedHashMap<>();
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
        List<GateSpec> gates = spec.gates() == null ? List.of() : spec.gates();
        if (gates.size() > MAX_GATES) {
            v.add("gates", "has " + gates.size() + " gates; the limit is " + MAX_GATES);
            throw new InvalidSpecException(v.list());
        }
        for (int i = 0; i < gates.size(); i++) {
            GateSpec g = gates.get(i);
            String at = "gates[" + i + "]";
            if (g == null) {
                v.add(at, "must be a gate object");
            } else if (g.key() == null || !KEY.matcher(g.key()).matches()) {
                v.add(at + ".key", "'" + g.key() + "' must match " + KEY.pattern());
            } else if (index.containsKey(g.key()) || gateIndex.putIfAbsent(g.key(), i) != null) {
                v.add(at + ".key", "duplicate key '" + g.key() + "' (steps and gates share one namespace)");
            }
        }
        Map<String, Integer> all = new HashMap<>(index);
        all.putAll(gateIndex);
        List<PlannedTask> planned = new ArrayList<>(steps.size() + gates.size());
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            StepSpec s = steps.get(i);
            if (s != null) {
                PlannedTask t = step(s, "steps[" + i + "]", all, v);
                if (t != null) {
                    planned.add(t);
                    paths.add("steps[" + i + "]");
                }
            }
        }
        for (int i = 0; i < gates.size(); i++) {
            GateSpec g = gates.get(i);
            if (g != null) {
                PlannedTask t = gate(g, "gates[" + i + "]", all, v);
                if (t != null) {
                    planned.add(t);
                    paths.add("gates[" + i + "]");
                }
            }
        }
        if (v.isEmpty()) {
            checkAcyclic(planned, paths, v);
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
        List<String> deps = dependencies(s.key(), s.dependsOn(), at, index, v);
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

    private static List<String> dependencies(String key, List<String> dependsOn, String at, Map<String, Integer> index, Violations v) {
        List<String> deps = dependsOn == null ? List.of() : dependsOn;
        Set<String> seen = new HashSet<>();
        for (int d = 0; d < deps.size(); d++) {
            String dep = deps.get(d);
            String dat = at + ".dependsOn[" + d + "]";
            if (dep == null || !index.containsKey(dep)) {
                v.add(dat, "unknown step or gate '" + dep + "'");
            } else if (dep.equals(key)) {
                v.add(dat, "a step cannot depend on itself");
            } else if (!seen.add(dep)) {
                v.add(dat, "duplicate dependency '" + dep + "'");
            }
        }
        return deps;
    }

    private PlannedTask gate(GateSpec g, String at, Map<String, Integer> index, Violations v) {
        int before = v.list().size();
        List<String> deps = dependencies(g.key(), g.dependsOn(), at, index, v);
        if (deps.isEmpty()) {
            v.add(at + ".dependsOn", "a gate must depend on the steps whose results it judges");
        }
        List<ConditionSpec> conditions = g.conditions() == null ? List.of() : g.conditions();
        if (conditions.isEmpty() || conditions.size() > MAX_CONDITIONS) {
            v.add(at + ".conditions", "must list 1.." + MAX_CONDITIONS + " conditions");
        }
        for (int i = 0; i < conditions.size(); i++) {
            condition(conditions.get(i), at + ".conditions[" + i + "]", deps, v);
        }
        if (v.list().size() > before) {
            return null;
        }
        String params = json.createObjectNode().set("conditions", json.valueToTree(conditions)).toString();
        var d = config.defaults();
        return new PlannedTask(g.key(), GATE_KIND, List.copyOf(deps), params, GATE_KIND, Priority.NORMAL,
                new RetryPolicy(1, d.backoff(), d.maxBackoff()), d.timeout());
    }

    private static void condition(ConditionSpec c, String at, List<String> deps, Violations v) {
        if (c == null) {
            v.add(at, "must be a condition object");
            return;
        }
        if (c.aggregate() != null) {
            if (!"averageScore".equals(c.aggregate())) {
                v.add(at + ".aggregate", "'" + c.aggregate() + "' is not supported; use averageScore");
            }
            if (c.step() != null || c.metric() != null) {
                v.add(at, "give either step + metric or aggregate, not both");
            }
            List<String> steps = c.steps() == null ? List.of() : c.steps();
            for (int i = 0; i < steps.size(); i++) {
                if (!deps.contains(steps.get(i))) {
                    v.add(at + ".steps[" + i + "]", "'" + steps.get(i) + "' must be one of the gate's dependsOn");
                }
            }
        } else {
            if (c.step() == null || !deps.contains(c.step())) {
                v.add(at + ".step", c.step() == null ? "is required (or use aggregate)" : "'" + c.step() + "' must be one of the gate's dependsOn");
            }
            if (c.metric() == null || !("score".equals(c.metric()) || TaskResult.METRIC_NAME.matcher(c.metric()).matches())) {
                v.add(at + ".metric", "a metric name (" + TaskResult.METRIC_NAME.pattern() + ") or 'score' is required");
            }
            if (c.steps() != null) {
                v.add(at + ".steps", "only applies to an aggregate");
            }
        }
        if (c.op() == null || !COMPARATORS.contains(c.op())) {
            v.add(at + ".op", "must be one of " + new TreeSet<>(COMPARATORS));
        }
        if (c.threshold() == null || !Double.isFinite(c.threshold())) {
            v.add(at + ".threshold", "a finite number is required");
        }
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

    /** Kahn's algorithm; names every node on, or downstream of, a cycle. */
    private static void checkAcyclic(List<PlannedTask> tasks, List<String> paths, Violations v) {
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
                    v.add(paths.get(i) + ".dependsOn", "'" + tasks.get(i).key() + "' is on, or depends on, a dependency cycle");
                }
            }
        }
    }
}
