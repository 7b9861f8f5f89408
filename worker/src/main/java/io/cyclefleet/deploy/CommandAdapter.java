package io.cyclefleet.deploy;

import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import io.cyclefleet.outbound.Commands;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code type=command}: deploys and rolls back by running the adapter's allowlisted command templates
 * (helm, kubectl, argocd, a script), with {@code {{version}}} and {@code {{previousVersion}}} filled in.
 * The running version is read first with {@code current-version-command}, so the rollback knows where to go.
 * The commands run through {@link Commands}: no shell, and only PATH, HOME and the like of the worker's
 * environment plus the adapter's {@code environment.*}. Not retried: a deploy command is not known to be idempotent.
 */
@ApplicationScoped
public class CommandAdapter implements DeploymentAdapter {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @Override
    public String type() {
        return "command";
    }

    @Override
    public Deployed deploy(NamedAdapter a, String version, TaskContext context) throws TaskFailure, InterruptedException {
        String previous = currentVersion(a);
        Commands.Ran ran;
        try {
            ran = run(a, "deploy", required(a, a.settings().deployCommand(), "deploy-command"), values(version, previous, context));
        } catch (TaskFailure e) {
            // a deploy that failed halfway may have changed the target: record where to roll back to anyway
            Deployed attempted = new Deployed(a.name(), version, previous, Map.of("failed", true));
            throw new TaskFailure(e.getMessage(), e.retryable(), TaskResult.of(JSON.valueToTree(attempted)));
        }
        return new Deployed(a.name(), version, previous, details(ran));
    }

    @Override
    public Deployed rollback(NamedAdapter a, Deployed recorded, TaskContext context) throws TaskFailure, InterruptedException {
        if (recorded.previousVersion() == null) {
            throw new TaskFailure("adapter '" + a.name() + "': the deployment recorded no previous version to roll back to", false);
        }
        String from = currentVersion(a);
        Commands.Ran ran = run(a, "rollback", required(a, a.settings().rollbackCommand(), "rollback-command"),
                values(recorded.previousVersion(), from, context));
        return new Deployed(a.name(), recorded.previousVersion(), from, details(ran));
    }

    private String currentVersion(NamedAdapter a) throws TaskFailure, InterruptedException {
        if (a.settings().currentVersionCommand().isEmpty()) {
            return null;
        }
        Commands.Ran ran = run(a, "current-version", a.settings().currentVersionCommand().get(), Map.of());
        String v = ran.lastLine();
        return v.isEmpty() || v.equals("none") ? null : v;
    }

    private static Commands.Ran run(NamedAdapter a, String what, String template, Map<String, String> values)
            throws TaskFailure, InterruptedException {
        List<String> argv = Commands.argv(template, values);
        Duration timeout = a.settings().timeout();
        Commands.Ran ran;
        try {
            ran = Commands.run(argv, a.settings().workingDirectory().map(Path::of).orElse(null), a.settings().environment(), timeout);
        } catch (IOException e) {
            throw new TaskFailure("command " + argv.get(0) + ": cannot start: " + e.getMessage(), false);
        }
        if (ran.timedOut()) {
            throw new TaskFailure("command " + argv.get(0) + ": killed after its timeout of " + timeout + "; output: "
                    + Commands.abbreviate(ran.text()), true);
        }
        if (ran.exitCode() != 0) {
            throw new TaskFailure("adapter '" + a.name() + "': " + what + " command " + argv.get(0) + " exited " + ran.exitCode()
                    + ": " + Commands.abbreviate(ran.text()), false);
        }
        return ran;
    }

    private static Map<String, String> values(String version, String previous, TaskContext context) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("version", version);
        if (previous != null) {
            v.put("previousVersion", previous);
        }
        v.put("cycleId", context.cycleId().toString());
        return v;
    }

    private static String required(NamedAdapter a, java.util.Optional<String> template, String key) throws TaskFailure {
        return template.orElseThrow(() -> new TaskFailure("adapter '" + a.name() + "' has no " + key
                + " configured (cyclefleet.adapters." + a.name() + "." + key + ")", false));
    }

    private static Map<String, Object> details(Commands.Ran ran) {
        return Map.of("exitCode", ran.exitCode(), "seconds", Math.round(ran.wallClock().toMillis() / 10.0) / 100.0,
                "outputTail", Commands.abbreviate(ran.text()));
    }
}
