package io.cyclefleet.deploy;

/**
 * A rollout as the platform reports it, with Kubernetes' semantics: done when the controller has observed
 * the latest generation and every desired replica is updated and available; failed when the progress
 * deadline was exceeded.
 */
public record RolloutStatus(long generation, long observedGeneration, int desired, int updated, int available,
                            boolean progressDeadlineExceeded, String message) {

    public boolean done() {
        return observedGeneration >= generation && updated >= desired && available >= desired && !progressDeadlineExceeded;
    }
}
