package io.cyclefleet.deploy;

import io.cyclefleet.run.StepResults;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskDeferred;
import io.cyclefleet.run.TaskFailure;
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
    /** How long a step waits, holding its worker, for another attempt to stop acting before it defers itself. */
    static final Duration IN_HANDLER_WAIT = Duration.ofSeconds(10);

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

    public Deployed deploy(TaskContext ctx, String adapterName, String version) throws TaskFailure, TaskDeferred, InterruptedException {
        Adapters.Resolved a = adapters.resolve(adapterName);
        Adapters.checkVersion(a.adapter(), version);
        List<DeploymentIntents.Recorded> earlier = intents.ofStep(ctx.cycleId(), ctx.key()).stream()
                .filter(i -> i.taskId() == ctx.taskId() && i.attempt() < ctx.attempt()).toList();
        while (true) {
            awaitQuiet(a.adapter(), ctx);
            Observed seen = a.implementation().observe(a.adapter(), ctx);
            // what a rollback restores: what ran before this step's first attempt acted, not what an interrupted one left
            String previous = earlier.isEmpty() ? seen.version() : earlier.get(0).previousVersion();
            if (seen.runs(version)) {
                Map<String, Object> details = new LinkedHashMap<>(seen.state());
                details.put("converged", true);
                details.put("note", earlier.isEmpty() ? "the target already runs " + version + ": nothing changed"
                        : "the target runs " + version + ": attempt " + earlier.get(earlier.size() - 1).attempt() + " took effect before its fault");
                return new Deployed(a.adapter().name(), version, previous, details);
            }
            Optional<Intent> intent = record(ctx, a, Intent.Action.DEPLOY, previous, seen, version, Map.of());
            if (intent.isEmpty()) {
                continue; // another attempt started acting after we looked: wait for it, then observe again
            }
            Deployed d = a.implementation().converge(a.adapter(), intent.get(), ctx);
            if (previous == null && d.previousVersion() != null && earlier.isEmpty()) {
                intents.learnPrevious(intent.get().fencingToken(), d.previousVersion()); // the target told what it replaced
                previous = d.previousVersion();
            }
            return new Deployed(d.adapter(), d.version(), previous, d.details());
        }
    }

    public Rollback rollback(TaskContext ctx, String of) throws TaskFailure, TaskDeferred, InterruptedException {
        List<DeploymentIntents.Recorded> deploys = intents.ofStep(ctx.cycleId(), of).stream()
                .filter(i -> i.action() == Intent.Action.DEPLOY).toList();
        if (deploys.isEmpty()) {
            StepResults.Step step = steps.of(ctx.cycleId(), of)
                    .orElseThrow(() -> new TaskFailure("rollback: this cycle has no step '" + of + "' to undo", false));
            // an intent is recorded before any change, and none can be recorded once the rollback started
            return new Rollback(null, "step '" + of + "' (" + step.status() + ") never started changing the target: nothing to undo");
        }
        DeploymentIntents.Recorded first = deploys.get(0);
        Adapters.Resolved a = adapters.resolve(first.adapter());
        String restore = first.previousVersion();
        while (true) {
            awaitQuiet(a.adapter(), ctx);
            Observed seen = a.implementation().observe(a.adapter(), ctx);
            if (restore == null) {
                throw new TaskFailure("rollback: adapter '" + first.adapter() + "' could not tell what ran before step '" + of
                        + "' acted (it reads no current version, or nothing ran), so there is nothing known to restore; the target "
                        + (seen.known() ? "runs " + seen.version() : "runs an unknown version") + ": restore it by hand", false);
            }
            boolean there = seen.runs(restore);
            // already there: nothing to change, but a stale attempt that saw the target before must see a newer change
            Optional<Intent> intent = record(ctx, a, Intent.Action.ROLLBACK, there ? restore : seen.version(), seen, restore, first.observed());
            if (intent.isEmpty()) {
                continue;
            }
            if (!there) {
                return new Rollback(a.implementation().converge(a.adapter(), intent.get(), ctx), null);
            }
            a.implementation().fence(a.adapter(), intent.get(), ctx);
            Map<String, Object> details = new LinkedHashMap<>(seen.state());
            details.put("alreadyThere", true);
            details.put("fencingToken", intent.get().fencingToken());
            details.put("note", "the target already runs " + restore + ", the version before step '" + of + "': nothing to do");
            return new Rollback(new Deployed(a.adapter().name(), restore, restore, details), null);
        }
    }

    /** Records the intent; empty when another attempt started acting on the target meanwhile (the caller waits again). */
    private Optional<Intent> record(TaskContext ctx, Adapters.Resolved a, Intent.Action action, String previous, Observed seen, String to,
                                    Map<String, Object> restore) throws TaskFailure {
        Duration actFor = a.adapter().settings().timeout().plus(ACTING_MARGIN);
        // the local bound starts before the record is written, so it ends before Postgres' act_until does
        long actUntil = System.nanoTime() + a.adapter().settings().timeout().toNanos();
        DeploymentIntents.Recording r = intents.record(ctx, action, a.adapter().name(), previous, seen, to, actFor);
        if (!r.recorded()) {
            return Optional.empty();
        }
        LOG.infof("%s of adapter '%s' to %s recorded (fencing token %d, running before: %s)", action.wireName(), a.adapter().name(), to,
                r.fencingToken(), seen.known() ? seen.version() : "unknown");
        return Optional.of(new Intent(r.fencingToken(), action, to, previous, seen, restore, actUntil));
    }

    /**
     * Waits while another attempt may still act on the adapter's target, a little: when that attempt's intent ends
     * soon (its worker resumed and stopped it), at most {@link #IN_HANDLER_WAIT} or a quarter of what is left of the
     * step's timeout. Past that, the step is deferred until the other attempt's act_until: it waits in Postgres,
     * without holding a worker, and without spending an attempt or its own timeout on someone else's.
     */
    private void awaitQuiet(NamedAdapter adapter, TaskContext ctx) throws InterruptedException, TaskDeferred {
        long waitUntil = System.nanoTime() + inHandlerWait(ctx).toNanos();
        boolean noted = false;
        while (true) {
            Optional<DeploymentIntents.Acting> acting = intents.acting(adapter.name(), ctx.taskId(), ctx.attempt());
            if (acting.isEmpty()) {
                return;
            }
            String detail = "waiting for " + acting.get().describe() + " to stop acting on adapter '" + adapter.name()
                    + "' (at most " + acting.get().atMost().toSeconds() + " s) before acting";
            if (!noted) {
                LOG.info(detail);
                intents.note(ctx, "deployment.waiting", detail);
                noted = true;
            }
            if (System.nanoTime() >= waitUntil) {
                throw new TaskDeferred(detail, acting.get().atMost().plus(poll));
            }
            Thread.sleep(Math.min(poll.toMillis(), acting.get().atMost().toMillis() + 50)); // a poll of Postgres, bounded above
        }
    }

    private static Duration inHandlerWait(TaskContext ctx) {
        if (ctx.deadline() == null) {
            return IN_HANDLER_WAIT;
        }
        Duration quarter = Duration.between(java.time.Instant.now(), ctx.deadline()).dividedBy(4);
        return quarter.compareTo(IN_HANDLER_WAIT) < 0 ? (quarter.isNegative() ? Duration.ZERO : quarter) : IN_HANDLER_WAIT;
    }
}
