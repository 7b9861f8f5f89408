package io.cyclefleet.deploy;

/**
 * A rollout as the platform reports it, with Kubernetes' semantics (kubectl's rollout-complete check): done
 * when the controller has observed the latest generation, every desired replica is updated, no old replica
 * is left ({@code total}, Kubernetes' {@code status.replicas}, counts the pods of old and new ReplicaSets),
 * and every updated replica is available; failed when the progress deadline was exceeded.
 * {@code available} counts available pods of every ReplicaSet, old ones included, which is why it is compared
 * with {@code updated} and why {@code total} is needed: during a surge the old pods alone can make up the
 * desired count.
 */
public record RolloutStatus(long generation, long observedGeneration, int desired, int updated, int available,
                            int total, boolean progressDeadlineExceeded, String message) {

    /** For platforms that do not report old replicas separately: none are assumed left. */
    public RolloutStatus(long generation, long observedGeneration, int desired, int updated, int available,
                         boolean progressDeadlineExceeded, String message) {
        this(generation, observedGeneration, desired, updated, available, updated, progressDeadlineExceeded, message);
    }

    public boolean done() {
        return observedGeneration >= generation && updated >= desired && total <= updated && available >= updated
                && !progressDeadlineExceeded;
    }
}
