package io.cyclefleet.deploy;

import java.time.Duration;
import java.util.Map;

/**
 * A change an attempt is about to make, recorded in Postgres (table deployment_intent) before the adapter acts.
 *
 * <p>{@code fencingToken} is the intent's id: it only grows, across every target and cycle, so a target that
 * remembers the highest token it has applied can refuse an older one (a stale attempt's action arriving after a
 * rollback). {@code previousVersion} is what a rollback of this change restores (for a deploy: the version that
 * ran before the step's first attempt acted). {@code restore} is, for a rollback, the adapter state the deploy
 * observed before it acted (an exact image, say). The adapter must not start any action after
 * {@code actUntilNanos} (monotonic clock): past it, a successor may act on the same target.
 */
public record Intent(long fencingToken, Action action, String toVersion, String previousVersion, Observed observed,
                     Map<String, Object> restore, long actUntilNanos) {

    public enum Action {
        DEPLOY, ROLLBACK;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How long the adapter may still act; zero or negative once it must not start anything more. */
    public Duration remaining() {
        return Duration.ofNanos(actUntilNanos - System.nanoTime());
    }
}
