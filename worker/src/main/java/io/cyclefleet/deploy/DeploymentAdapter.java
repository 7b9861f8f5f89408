package io.cyclefleet.deploy;

import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import java.util.Optional;

/**
 * Moves a target between versions. One implementation per adapter {@link #type()} (kubernetes, command,
 * webhook), found by CDI; which named adapter a step uses, and everything that says where and how (cluster,
 * namespace, command templates, URLs), is worker configuration ({@link AdapterConfig}): a spec only picks the
 * adapter's name and the version (invariant 7).
 */
public interface DeploymentAdapter {

    String type();

    /** Moves the target to {@code version}; records what ran before, so that a rollback can restore it. */
    Deployed deploy(NamedAdapter adapter, String version, TaskContext context) throws TaskFailure, InterruptedException;

    /** Moves the target back to {@code recorded.previousVersion()}. */
    Deployed rollback(NamedAdapter adapter, Deployed recorded, TaskContext context) throws TaskFailure, InterruptedException;

    /** The rollout's state as the platform sees it, for verification; empty when the adapter has none. */
    default Optional<RolloutStatus> rolloutStatus(NamedAdapter adapter, TaskContext context) throws TaskFailure, InterruptedException {
        return Optional.empty();
    }
}
