package io.cyclefleet.deploy;

import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Waits for a rollout the way {@code kubectl rollout status} does, on any adapter that reports one: polls
 * {@link DeploymentAdapter#rolloutStatus} every {@code interval} until it is done, failed (progress deadline
 * exceeded) or {@code timeout} passed (or the task's own deadline, whichever is first). A failed or unfinished
 * rollout is a non-retryable failure: waiting again would not change the verdict, the rollback decides what
 * comes next. An error reading the status (API server unreachable) comes back as it is, retryable or not.
 */
@ApplicationScoped
public class RolloutWaiter {

    private final Adapters adapters;

    public RolloutWaiter(Adapters adapters) {
        this.adapters = adapters;
    }

    /**
     * Waits on the named adapter's rollout. Returns the last status (done), or empty at once when the adapter
     * reports no rollout status (command, webhook): there is nothing to wait for.
     */
    public Optional<RolloutStatus> awaitRollout(NamedAdapter adapter, TaskContext context, Duration timeout, Duration interval)
            throws TaskFailure, InterruptedException {
        return awaitRollout(adapters.resolve(adapter.name()).implementation(), adapter, context, timeout, interval);
    }

    /** The same, with the implementation given (tests, or a handler that resolved it already). */
    public static Optional<RolloutStatus> awaitRollout(DeploymentAdapter implementation, NamedAdapter adapter, TaskContext context,
                                                       Duration timeout, Duration interval) throws TaskFailure, InterruptedException {
        if (timeout.isNegative() || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("timeout must be >= 0 and interval > 0 (timeout " + timeout + ", interval " + interval + ")");
        }
        long start = System.nanoTime();
        long end = start + timeout.toNanos();
        if (context != null && context.deadline() != null) {
            long untilTaskDeadline = Duration.between(Instant.now(), context.deadline()).toNanos();
            end = Math.min(end, start + Math.max(0, untilTaskDeadline));
        }
        while (true) {
            Optional<RolloutStatus> read = implementation.rolloutStatus(adapter, context);
            if (read.isEmpty()) {
                return read;
            }
            RolloutStatus s = read.get();
            if (s.progressDeadlineExceeded()) {
                throw new TaskFailure("rollout of " + target(adapter) + " failed: progress deadline exceeded: " + s.message(), false);
            }
            if (s.done()) {
                return read;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                Duration waited = Duration.ofMillis((System.nanoTime() - start) / 1_000_000);
                throw new TaskFailure("rollout of " + target(adapter) + " not complete after " + waited + ": observed "
                        + s.observedGeneration() + "/" + s.generation() + ", updated " + s.updated() + "/" + s.desired()
                        + ", available " + s.available() + "/" + s.desired()
                        + (s.total() > s.updated() ? ", old replicas " + (s.total() - s.updated()) : "")
                        + " (" + s.message() + ")", false);
            }
            long pause = Math.min(interval.toNanos(), left);
            Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
        }
    }

    /** "namespace/deployment" when the adapter names them, with the adapter's name. */
    static String target(NamedAdapter adapter) {
        Optional<String> deployment = adapter.settings().deployment().filter(s -> !s.isBlank());
        if (deployment.isEmpty()) {
            return "adapter '" + adapter.name() + "'";
        }
        String where = adapter.settings().namespace().filter(s -> !s.isBlank()).map(n -> n + "/").orElse("") + deployment.get();
        return where + " (adapter '" + adapter.name() + "')";
    }
}
