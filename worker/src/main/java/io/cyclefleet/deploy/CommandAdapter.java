package io.cyclefleet.deploy;

import io.cyclefleet.outbound.Commands;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code type=command}: deploys and rolls back by running the adapter's allowlisted command templates
 * (helm, kubectl, argocd, a script) with {@code {{version}}} (the version to run), {@code {{previousVersion}}} (the
 * version it replaces), {@code {{cycleId}}} and {@code {{fencingToken}}} filled in. The running version is read with
 * {@code current-version-command}, before acting (so the rollback knows where to go) and after (a deploy that exits
 * 0 but leaves another version running fails). The commands run through {@link Commands}: no shell, only PATH, HOME
 * and the like of the worker's environment plus the adapter's {@code environment.*}, and a timeout that holds even
 * if the worker is killed. Not retried in place: a deploy command is only as convergent as its author made it.
 */
@ApplicationScoped
public class CommandAdapter implements DeploymentAdapter {

    @Override
    public String type() {
        return "command";
    }

    @Override
    public Observed observe(NamedAdapter a, TaskContext context) throws TaskFailure, InterruptedException {
        Optional<String> command = a.settings().currentVersionCommand();
        if (command.isEmpty()) {
            return Observed.unknown();
        }
        Commands.Ran ran = run(a, "current-version", command.get(), Map.of(), a.settings().timeout());
        String v = ran.lastLine();
        return Observed.version(v.isEmpty() || v.equals("none") ? null : v);
    }

    @Override
    public Deployed converge(NamedAdapter a, Intent intent, TaskContext context) throws TaskFailure, InterruptedException {
        boolean deploy = intent.action() == Intent.Action.DEPLOY;
        String template = deploy ? required(a, a.settings().deployCommand(), "deploy-command")
                : required(a, a.settings().rollbackCommand(), "rollback-command");
        Duration left = intent.remaining();
        if (left.isNegative() || left.isZero()) {
            throw new TaskFailure("adapter '" + a.name() + "': no time left to act within its timeout of " + a.settings().timeout(), true);
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("version", intent.toVersion());
        String replaced = intent.observed().known() ? intent.observed().version() : intent.previousVersion();
        if (replaced != null) {
            values.put("previousVersion", replaced);
        }
        values.put("cycleId", context.cycleId().toString());
        values.put("fencingToken", Long.toString(intent.fencingToken()));
        Commands.Ran ran = run(a, intent.action().wireName(), template, values, left);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("exitCode", ran.exitCode());
        details.put("seconds", Math.round(ran.wallClock().toMillis() / 10.0) / 100.0);
        details.put("fencingToken", intent.fencingToken());
        details.put("outputTail", Commands.abbreviate(ran.text()));
        if (a.settings().currentVersionCommand().isPresent()) {
            Observed after = observe(a, context);
            if (!after.runs(intent.toVersion())) {
                throw new TaskFailure("adapter '" + a.name() + "': " + intent.action().wireName() + " command exited 0 but the target runs "
                        + after.version() + ", not " + intent.toVersion() + ": " + Commands.abbreviate(ran.text()), false);
            }
        }
        return new Deployed(a.name(), intent.toVersion(), replaced, details);
    }

    private static Commands.Ran run(NamedAdapter a, String what, String template, Map<String, String> values, Duration timeout)
            throws TaskFailure, InterruptedException {
        List<String> argv = Commands.argv(template, values);
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

    private static String required(NamedAdapter a, Optional<String> template, String key) throws TaskFailure {
        return template.orElseThrow(() -> new TaskFailure("adapter '" + a.name() + "' has no " + key
                + " configured (cyclefleet.adapters." + a.name() + "." + key + ")", false));
    }
}
