package io.cyclefleet.deploy;

import io.cyclefleet.handler.StepResults;
import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Deploys and rolls back so that a fault can never leave a change unrecorded or undone:
 * <ol>
 * <li>wait until no other attempt may still be acting on the adapter's target (a stale attempt of this step, an
 *     orphaned deploy of another cycle): its intent ended, or its act_until passed;</li>
 * <li>observe what runs; if it is already the wanted version, there is nothing to do (a deploy whose earlier
 *     attempt took effect before its fault; a rollback that finds the target back already);</li>
 * <li>record the intent in Postgres, fenced by the attempt, before anything changes;</li>
 * <li>converge through the adapter.</li>
 * </ol>
 * A rollback reads what to restore from the deploy step's first intent, never from its result, which a fault may
 * have lost. A deploy with no intent never changed anything, so its rollback has nothing to undo.
 */
@ApplicationScoped
public class Deployments {

    private static final Logger LOG = Logger.getLogger(Deployments.class);
    /** Beyond the adapter's timeout: the kill grace of its processes (Commands) and a margin. */
    static final Duration ACTING_MARGIN = Duration.ofSeconds(5);
    /** How often the wait for another attempt asks Postgres again. */
    private static final Duration POLL = Duration.ofSeconds(1);

    /** A rollback's outcome: what it did ({@code deployed}), or why there was nothing to do ({@code nothingToUndo}). */
    public record Rollback(Deployed deployed, String nothingToUndo) {
    }

    private final Adapters adapters;
    private final DeploymentIntents intents;
    private final StepResults steps;
    private final Duration poll;

    @Inject
    public Deployments(Adapters adapters, DeploymentIntents intents, StepResults steps) {
        this(adapters, intents, steps, POLL);
    }

    /** With another poll interval for the wait (tests). */
    Deployments(Adapters adapters, DeploymentIntents intents, StepResults steps, Duration poll) {
        this.adapters = adapters;
        this.intents = intents;
        this.steps = steps;
        this.poll = poll;
    }

    public Deployed deploy(TaskContext ctx, String adapterName, String version) throws TaskFailure, InterruptedException {
        Adapters.Resolved a = adapters.resolve(adapterName);
        Adapters.checkVersion(a.adapter(), version);
        awaitQuiet(a.adapter(), ctx);
        List<DeploymentIntents.Recorded> earlier = intents.ofStep(ctx.cycleId(), ctx.key()).stream()
                .filter(i -> i.taskId() == ctx.taskId() && i.attempt() < ctx.attempt()).toList();
        Observed seen = a.implementation().observe(a.adapter(), ctx);
        // what a rollback restores: what ran before this step's first attempt acted, not what an interrupted one left
        String previous = earlier.isEmpty() ? seen.version() : earlier.get(0).previousVersion();
        if (seen.runs(version)) {
            Map<String, Object> details = new LinkedHashMap<>(seen.state());
            details.put("converged", true);
            details.put("note", earlier.isEmpty() ? "the target already runs " + version + ": nothing changed"
                    : "the target runs " + version + ": attempt " + earlier.get(earlier.size() - 1).attempt() + " took effect before its fault");
            return new Deployed(a.adapter().name(), version, earlier.isEmpty() ? version : previous, details);
        }
        Intent intent = record(ctx, a, Intent.Action.DEPLOY, previous, seen, version, Map.of());
        Deployed d = a.implementation().converge(a.adapter(), intent, ctx);
        if (previous == null && d.previousVersion() != null && earlier.isEmpty()) {
            intents.learnPrevious(intent.fencingToken(), d.previousVersion()); // the target told what it replaced
            previous = d.previousVersion();
        }
        return new Deployed(d.adapter(), d.version(), previous, d.details());
    }

    public Rollback rollback(TaskContext ctx, String of) throws TaskFailure, InterruptedException {
        List<DeploymentIntents.Recorded> deploys = intents.ofStep(ctx.cycleId(), of).stream()
                .filter(i -> i.action() == Intent.Action.DEPLOY).toList();
        if (deploys.isEmpty()) {
            StepResults.Step step = steps.of(ctx.cycleId(), of)
                    .orElseThrow(() -> new TaskFailure("rollback: this cycle has no step '" + of + "' to undo", false));
            // an intent is recorded before any change: without one, the step never changed the target
            return new Rollback(null, "step '" + of + "' (" + step.status() + ") never started changing the target: nothing to undo");
        }
        DeploymentIntents.Recorded first = deploys.get(0);
        Adapters.Resolved a = adapters.resolve(first.adapter());
        awaitQuiet(a.adapter(), ctx);
        String restore = first.previousVersion();
        Observed seen = a.implementation().observe(a.adapter(), ctx);
        if (restore == null) {
            throw new TaskFailure("rollback: adapter '" + first.adapter() + "' could not tell what ran before step '" + of
                    + "' acted (it reads no current version, or nothing ran), so there is nothing known to restore; the target "
                    + (seen.known() ? "runs " + seen.version() : "runs an unknown version") + ": restore it by hand", false);
        }
        if (seen.runs(restore)) {
            // nothing to change, but a stale attempt that saw the target before must see that a newer change happened
            Intent intent = record(ctx, a, Intent.Action.ROLLBACK, restore, seen, restore, first.observed());
            a.implementation().fence(a.adapter(), intent, ctx);
            Map<String, Object> details = new LinkedHashMap<>(seen.state());
            details.put("alreadyThere", true);
            details.put("fencingToken", intent.fencingToken());
            details.put("note", "the target already runs " + restore + ", the version before step '" + of + "': nothing to do");
            return new Rollback(new Deployed(a.adapter().name(), restore, restore, details), null);
        }
        Intent intent = record(ctx, a, Intent.Action.ROLLBACK, seen.version(), seen, restore, first.observed());
        return new Rollback(a.implementation().converge(a.adapter(), intent, ctx), null);
    }

    private Intent record(TaskContext ctx, Adapters.Resolved a, Intent.Action action, String previous, Observed seen, String to,
                          Map<String, Object> restore) throws TaskFailure {
        Duration actFor = a.adapter().settings().timeout().plus(ACTING_MARGIN);
        // the local bound starts before the record is written, so it ends before Postgres' act_until does
        long actUntil = System.nanoTime() + a.adapter().settings().timeout().toNanos();
        long token = intents.record(ctx, action, a.adapter().name(), previous, seen, to, actFor);
        LOG.infof("%s of adapter '%s' to %s recorded (fencing token %d, running before: %s)", action.wireName(), a.adapter().name(), to,
                token, seen.known() ? seen.version() : "unknown");
        return new Intent(token, action, to, previous, seen, restore, actUntil);
    }

    /**
     * Waits while another attempt may still act on the adapter's target. The step holds its lease meanwhile (the
     * heartbeat renews it); its own timeout bounds the wait, which is at most the other attempt's adapter timeout.
     */
    private void awaitQuiet(NamedAdapter adapter, TaskContext ctx) throws InterruptedException {
        boolean noted = false;
        while (true) {
            Optional<DeploymentIntents.Acting> acting = intents.acting(adapter.name(), ctx.taskId(), ctx.attempt());
            if (acting.isEmpty()) {
                return;
            }
            if (!noted) {
                String detail = "waiting for " + acting.get().describe() + " to stop acting on adapter '" + adapter.name()
                        + "' (at most " + acting.get().atMost().toSeconds() + " s) before acting";
                LOG.info(detail);
                intents.note(ctx, "deployment.waiting", detail);
                noted = true;
            }
            Thread.sleep(Math.min(poll.toMillis(), acting.get().atMost().toMillis() + 50)); // a poll of Postgres, bounded by the step's timeout
        }
    }
}
