package io.cyclefleet.deploy;

import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import java.util.Optional;

/**
 * Moves a target between versions. One implementation per adapter {@link #type()} (kubernetes, command,
 * webhook), found by CDI; which named adapter a step uses, and everything that says where and how (cluster,
 * namespace, command templates, URLs), is worker configuration ({@link AdapterConfig}): a spec only picks the
 * adapter's name and the version (invariant 7).
 *
 * <p>The contract for adapter authors (docs/cycles.md, "Writing an adapter"):
 * <ul>
 * <li>{@link #observe} reads what runs and changes nothing. {@link Deployments} calls it before acting, records
 *     the intent in Postgres, and only then calls {@link #converge}.</li>
 * <li>{@link #converge} is convergent: "make the target run {@code intent.toVersion()}". Running it again after an
 *     outcome that a fault made unknown (the worker killed, paused or cut off mid-call) must be safe, and running it
 *     when the target already runs that version must change nothing harmful.</li>
 * <li>It starts no action once {@link Intent#remaining()} is gone, and stops (with any process it started) when its
 *     thread is interrupted: past the intent's act_until another attempt may act on the same target.</li>
 * <li>Where the target can check it, it passes {@link Intent#fencingToken()} along (a command's
 *     {@code {{fencingToken}}}, the webhook's {@code fencingToken}, the Kubernetes adapter's annotation), so that the
 *     target refuses an action older than one it has already applied.</li>
 * </ul>
 */
public interface DeploymentAdapter {

    String type();

    /** What the target runs now, read without changing anything. */
    Observed observe(NamedAdapter adapter, TaskContext context) throws TaskFailure, InterruptedException;

    /** Makes the target run {@code intent.toVersion()} (a deploy or a rollback); see the contract above. */
    Deployed converge(NamedAdapter adapter, Intent intent, TaskContext context) throws TaskFailure, InterruptedException;

    /**
     * Marks the target with the intent's fencing token without changing what runs, where the target can hold one: a
     * rollback that finds the target already restored calls it, so that a stale attempt that observed the target
     * before (a deploy paused past its act_until) sees a newer change and does not act. Nothing by default.
     */
    default void fence(NamedAdapter adapter, Intent intent, TaskContext context) throws TaskFailure, InterruptedException {
    }

    /** The rollout's state as the platform sees it, for verification; empty when the adapter has none. */
    default Optional<RolloutStatus> rolloutStatus(NamedAdapter adapter, TaskContext context) throws TaskFailure, InterruptedException {
        return Optional.empty();
    }
}
