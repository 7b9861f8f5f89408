package io.cyclefleet.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.task.Params;
import io.cyclefleet.task.TaskKindContract;
import io.cyclefleet.task.Violations;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code testing}: either a named suite from the worker's allowlist with arguments,
 * <pre>{"suite": "unit", "args": {"pattern": "Checkout*Test"}}</pre>
 * or an HTTP smoke suite given in the spec,
 * <pre>{"smoke": [{"name": "health", "url": "http://…/q/health", "expectStatus": 200}], "minPassRate": 1.0}</pre>
 * The orchestrator cannot know a worker's suites: it checks the shape here, and the worker checks the suite's
 * name and each argument against its own configuration before anything runs (invariant 7: the spec picks a
 * name and passes values, never a command).
 */
@ApplicationScoped
public class TestingKind implements TaskKindContract {

    public static final String KIND = "testing";
    /** Suite names: like step keys. */
    public static final Pattern SUITE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    /** Argument names: usable as {@code {{name}}} placeholders and as configuration keys. */
    public static final Pattern ARG = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");
    public static final int MAX_ARGS = 20;
    public static final int MAX_ARG_CHARS = 256;
    public static final int MAX_CHECKS = 50;

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void validateParams(JsonNode params, String path, Violations v) {
        if (params == null || params.isNull() || params.isMissingNode()) {
            v.add(path, "is required: {\"suite\": name, \"args\": {…}} or {\"smoke\": [checks…], \"minPassRate\": 0..1}");
            return;
        }
        if (!params.isObject()) {
            v.add(path, "must be a JSON object");
            return;
        }
        Params.onlyKnown(params, path, v, Set.of("suite", "args", "smoke", "minPassRate"));
        boolean suite = params.has("suite");
        boolean smoke = params.has("smoke");
        if (suite && smoke) {
            v.add(path, "give either suite or smoke, not both");
        } else if (!suite && !smoke) {
            v.add(path, "needs either suite (a suite configured on the workers) or smoke (a list of HTTP checks)");
        }
        if (suite) {
            Params.text(params.get("suite"), path + ".suite", v, true, SUITE, 64);
        }
        if (params.has("args")) {
            if (!suite) {
                v.add(path + ".args", "only goes with suite");
            }
            args(params.get("args"), path + ".args", v);
        }
        if (smoke) {
            List<JsonNode> checks = Params.array(params.get("smoke"), path + ".smoke", v, true, MAX_CHECKS);
            Set<String> names = new HashSet<>();
            for (int i = 0; i < checks.size(); i++) {
                String at = path + ".smoke[" + i + "]";
                HttpCheckParams.validate(checks.get(i), at, v);
                JsonNode name = checks.get(i).get("name");
                if (name != null && name.isTextual() && !names.add(name.asText())) {
                    v.add(at + ".name", "duplicate check name '" + name.asText() + "'");
                }
            }
        }
        if (params.has("minPassRate")) {
            if (!smoke) {
                v.add(path + ".minPassRate", "only goes with smoke");
            }
            Double rate = Params.number(params.get("minPassRate"), path + ".minPassRate", v, false);
            if (rate != null && (rate < 0 || rate > 1)) {
                v.add(path + ".minPassRate", "must be between 0 and 1, got " + rate);
            }
        }
    }

    private static void args(JsonNode args, String path, Violations v) {
        if (args == null || args.isNull()) {
            return;
        }
        if (!args.isObject()) {
            v.add(path, "must be an object of argument name to string");
            return;
        }
        if (args.size() > MAX_ARGS) {
            v.add(path, "has " + args.size() + " arguments; the limit is " + MAX_ARGS);
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = args.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> a = it.next();
            String at = path + "." + a.getKey();
            if (!ARG.matcher(a.getKey()).matches()) {
                v.add(at, "argument names must match " + ARG.pattern());
            } else if (!a.getValue().isTextual()) {
                v.add(at, "must be a string");
            } else if (a.getValue().asText().length() > MAX_ARG_CHARS) {
                v.add(at, "must be at most " + MAX_ARG_CHARS + " characters, got " + a.getValue().asText().length());
            }
        }
    }
}
