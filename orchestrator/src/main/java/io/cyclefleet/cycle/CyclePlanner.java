package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cyclefleet.api.InvalidSpecException;
import io.cyclefleet.config.OrchestratorConfig;
import io.cyclefleet.cycle.CycleSpec.ConditionSpec;
import io.cyclefleet.cycle.CycleSpec.GateSpec;
import io.cyclefleet.cycle.CycleSpec.IterateSpec;
import io.cyclefleet.cycle.CycleSpec.RetrySpec;
import io.cyclefleet.cycle.CycleSpec.RollbackSpec;
import io.cyclefleet.cycle.CycleSpec.StepSpec;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.RetryPolicy;
import io.cyclefleet.task.Risk;
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
import java.util.Optional;
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
    static final Set<String> COMPARATORS = io.cyclefleet.kinds.Comparison.OPS;
    /** The built-in kind of gate nodes: evaluated by the orchestrator, never put on a queue. */
    public static final String GATE_KIND = "gate";

    private final Map<String, TaskKindContract> kinds = new HashMap<>();
    private final OrchestratorConfig config;
    private final ObjectMapper json;
    private final CycleTemplates templates;

    public CyclePlanner(Instance<TaskKindContract> contracts, OrchestratorConfig config, ObjectMapper json, CycleTemplates templates) {
        contracts.forEach(c -> kinds.put(c.kind(), c));
        this.config = config;
        this.json = json;
        this.templates = templates;
    }

    public Set<String> kinds() {
        return new TreeSet<>(kinds.keySet());
    }

    /**
     * A validated cycle: the spec with its template expanded, and every task it writes. {@code changes}: when a step
     * changes the target (its kind says so), what the cycle takes the leases of — {@code target:<target>} and
     * {@code adapter:<name>} for each deployment adapter its steps name — empty when it changes nothing;
     * {@code onTargetBusy} says what to do when another cycle holds one of them.
     */
    public record Plan(CycleSpec spec, String target, Duration deadline, Duration rollbackDeadline, boolean incidentOnFailure,
                       List<String> changes, OnTargetBusy onTargetBusy, List<PlannedTask> tasks) {
    }

    /** What a cycle that changes its target does while another cycle changes it. */
    public enum OnTargetBusy {
        WAIT, REJECT;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A step or gate with where it sits in the spec. */
    private record Node(String at, StepSpec step, GateSpec gate, PlannedTask.Branch branch) {
        String key() {
            return step != null ? step.key() : gate.key();
        }
    }

    public Plan plan(CycleSpec requested) {
        if (requested == null) {
            throw InvalidSpecException.of("$", "a cycle spec (JSON object) is required");
        }
        CycleSpec spec = templates.expand(requested);
        Violations v = new Violations();
        if (spec.name() == null || spec.name().isBlank()) {
            v.add("name", "is required");
        } else if (spec.name().length() > MAX_NAME) {
            v.add("name", "must be at most " + MAX_NAME + " characters");
        }
        // incidents are deduplicated per target: a template's generic name must not make unrelated services one
        String target = spec.target() != null ? spec.target() : requested.name();
        if (spec.target() != null && (spec.target().isBlank() || spec.target().length() > MAX_NAME)) {
            v.add("target", "must be 1.." + MAX_NAME + " characters");
        } else if (target == null) {
            v.add("target", "is required when the spec uses a template and has no name of its own");
        }
        List<Node> nodes = nodes(spec, v);
        if (!v.isEmpty() && nodes.isEmpty()) {
            throw new InvalidSpecException(v.list());
        }
        Map<String, Node> index = new LinkedHashMap<>();
        for (Node n : nodes) {
            String key = n.key();
            if (key == null || !KEY.matcher(key).matches()) {
                v.add(n.at() + ".key", key == null ? "is required" : "'" + key + "' must match " + KEY.pattern());
            } else if (index.putIfAbsent(key, n) != null) {
                v.add(n.at() + ".key", "duplicate key '" + key + "' (also " + index.get(key).at() + "; steps and gates share one namespace)");
            }
        }
        Risk maxAutoRisk = risk(spec.maxAutoRisk(), "maxAutoRisk", config.defaults().maxAutoRisk(), v);
        Set<String> triggers = triggers(spec.rollback(), index, v);
        Map<String, Integer> keys = new HashMap<>();
        index.keySet().forEach(k -> keys.put(k, 0));
        List<PlannedTask> planned = new ArrayList<>(nodes.size());
        List<String> paths = new ArrayList<>();
        for (Node n : nodes) {
            boolean trigger = n.key() != null && triggers.contains(n.key());
            PlannedTask t = n.step() != null
                    ? step(n.step(), n.at(), keys, n.branch(), trigger, maxAutoRisk, v)
                    : gate(n.gate(), n.at(), keys, n.branch(), trigger, v);
            if (t != null) {
                for (int d = 0; d < t.dependsOn().size(); d++) {
                    Node dep = index.get(t.dependsOn().get(d));
                    if (dep != null && dep.branch() != n.branch()) {
                        v.add(n.at() + ".dependsOn[" + d + "]", n.branch() == PlannedTask.Branch.ROLLBACK
                                ? "a rollback step or gate depends only on the rollback branch, not on '" + dep.key() + "'"
                                : "a main step or gate cannot depend on the rollback branch ('" + dep.key() + "')");
                    }
                }
                planned.add(t);
                paths.add(n.at());
            }
        }
        Duration deadline = spec.deadline() == null ? null
                : Params.duration(TextNode.valueOf(spec.deadline()), "deadline", v, true, config.limits().maxDeadline());
        Duration rollbackDeadline = spec.rollbackDeadline() == null ? config.defaults().rollbackDeadline()
                : Params.duration(TextNode.valueOf(spec.rollbackDeadline()), "rollbackDeadline", v, true, config.limits().maxDeadline());
        OnTargetBusy onTargetBusy = OnTargetBusy.WAIT;
        if (spec.onTargetBusy() != null) {
            try {
                onTargetBusy = OnTargetBusy.valueOf(spec.onTargetBusy().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                v.add("onTargetBusy", "'" + spec.onTargetBusy() + "' must be wait or reject");
            }
        }
        iterate(spec.iterate(), v);
        if (v.isEmpty()) {
            checkAcyclic(planned, paths, v);
        }
        if (!v.isEmpty()) {
            throw new InvalidSpecException(v.list());
        }
        return new Plan(spec, target, deadline, rollbackDeadline, Boolean.TRUE.equals(spec.incidentOnFailure()), changes(target, planned),
                onTargetBusy, planned);
    }

    /** What a cycle changes: its target and the adapters its steps name, when one of its steps changes the target. */
    private List<String> changes(String target, List<PlannedTask> planned) {
        if (planned.stream().map(t -> kinds.get(t.kind())).noneMatch(k -> k != null && k.changesTarget())) {
            return List.of();
        }
        TreeSet<String> out = new TreeSet<>();
        out.add("target:" + target);
        for (PlannedTask t : planned) {
            TaskKindContract k = kinds.get(t.kind());
            if (k != null) {
                try {
                    k.adapterOf(json.readTree(t.paramsJson())).ifPresent(a -> out.add("adapter:" + a));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException("params validated a moment ago no longer parse", e);
                }
            }
        }
        return List.copyOf(out);
    }

    private List<Node> nodes(CycleSpec spec, Violations v) {
        List<Node> nodes = new ArrayList<>();
        List<StepSpec> steps = spec.steps() == null ? List.of() : spec.steps();
        if (steps.isEmpty()) {
            v.add("steps", "must list at least one step");
        }
        addSteps(nodes, "steps", steps, PlannedTask.Branch.MAIN, v);
        addGates(nodes, "gates", spec.gates(), PlannedTask.Branch.MAIN, v);
        RollbackSpec rb = spec.rollback();
        if (rb != null) {
            if (rb.steps() == null || rb.steps().isEmpty()) {
                v.add("rollback.steps", "must list at least one step");
            }
            addSteps(nodes, "rollback.steps", rb.steps(), PlannedTask.Branch.ROLLBACK, v);
            addGates(nodes, "rollback.gates", rb.gates(), PlannedTask.Branch.ROLLBACK, v);
        }
        long stepCount = nodes.stream().filter(n -> n.step() != null).count();
        if (stepCount > config.limits().maxSteps()) {
            v.add("steps", "has " + stepCount + " steps; the limit is " + config.limits().maxSteps());
            nodes.clear();
        } else if (nodes.size() - stepCount > MAX_GATES) {
            v.add("gates", "has " + (nodes.size() - stepCount) + " gates; the limit is " + MAX_GATES);
            nodes.clear();
        }
        return nodes;
    }

    private static void addSteps(List<Node> nodes, String at, List<StepSpec> steps, PlannedTask.Branch branch, Violations v) {
        for (int i = 0; steps != null && i < steps.size(); i++) {
            if (steps.get(i) == null) {
                v.add(at + "[" + i + "]", "must be a step object");
            } else {
                nodes.add(new Node(at + "[" + i + "]", steps.get(i), null, branch));
            }
        }
    }

    private static void addGates(List<Node> nodes, String at, List<GateSpec> gates, PlannedTask.Branch branch, Violations v) {
        for (int i = 0; gates != null && i < gates.size(); i++) {
            if (gates.get(i) == null) {
                v.add(at + "[" + i + "]", "must be a gate object");
            } else {
                nodes.add(new Node(at + "[" + i + "]", null, gates.get(i), branch));
            }
        }
    }

    private static Set<String> triggers(RollbackSpec rb, Map<String, Node> index, Violations v) {
        if (rb == null) {
            return Set.of();
        }
        List<String> triggers = rb.triggers() == null ? List.of() : rb.triggers();
        if (triggers.isEmpty()) {
            v.add("rollback.triggers", "must name the steps or gates whose failure starts the rollback (e.g. deploy, verify)");
        }
        Set<String> out = new HashSet<>();
        for (int i = 0; i < triggers.size(); i++) {
            Node n = index.get(triggers.get(i));
            if (n == null || n.branch() != PlannedTask.Branch.MAIN) {
                v.add("rollback.triggers[" + i + "]", "'" + triggers.get(i) + "' is not a step or gate of the main DAG");
            } else if (!out.add(triggers.get(i))) {
                v.add("rollback.triggers[" + i + "]", "duplicate trigger '" + triggers.get(i) + "'");
            }
        }
        return out;
    }

    private void iterate(IterateSpec it, Violations v) {
        if (it == null) {
            return;
        }
        if (it.untilScore() == null || !(it.untilScore() >= TaskResult.MIN_SCORE && it.untilScore() <= TaskResult.MAX_SCORE)) {
            v.add("iterate.untilScore", "a score between " + TaskResult.MIN_SCORE + " and " + TaskResult.MAX_SCORE + " is required");
        }
        int max = config.limits().maxIterations();
        if (it.maxIterations() == null || it.maxIterations() < 1 || it.maxIterations() > max) {
            v.add("iterate.maxIterations", "must be between 1 and " + max + (it.maxIterations() == null ? "" : ", got " + it.maxIterations()));
        }
        if (it.delay() != null) {
            Params.duration(TextNode.valueOf(it.delay()), "iterate.delay", v, true, config.limits().maxTimeout());
        }
    }

    private static Risk risk(String text, String at, Risk fallback, Violations v) {
        if (text == null) {
            return fallback;
        }
        Optional<Risk> r = Risk.parse(text);
        if (r.isEmpty()) {
            v.add(at, "'" + text + "' must be one of low, medium, high");
        }
        return r.orElse(fallback);
    }

    private PlannedTask step(StepSpec s, String at, Map<String, Integer> index, PlannedTask.Branch branch, boolean trigger,
                             Risk maxAutoRisk, Violations v) {
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
                : Params.duration(TextNode.valueOf(s.timeout()), at + ".timeout", v, true, config.limits().maxTimeout());
        Risk risk = risk(s.risk(), at + ".risk", Risk.LOW, v);
        if (v.list().size() > before) {
            return null;
        }
        // the rollback branch runs "without anyone asking": it never waits for an approval
        boolean needsApproval = branch == PlannedTask.Branch.MAIN && risk.compareTo(maxAutoRisk) > 0;
        return new PlannedTask(s.key(), s.kind(), List.copyOf(deps), paramsJson, queue, priority, retry, timeout, branch, trigger,
                risk, needsApproval);
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

    private PlannedTask gate(GateSpec g, String at, Map<String, Integer> index, PlannedTask.Branch branch, boolean trigger,
                             Violations v) {
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
                new RetryPolicy(1, d.backoff(), d.maxBackoff()), d.timeout(), branch, trigger, Risk.LOW, false);
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
                : Params.duration(TextNode.valueOf(r.backoff()), at + ".backoff", v, true, config.limits().maxBackoff());
        Duration max = r.maxBackoff() == null ? null
                : Params.duration(TextNode.valueOf(r.maxBackoff()), at + ".maxBackoff", v, true, config.limits().maxBackoff());
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
