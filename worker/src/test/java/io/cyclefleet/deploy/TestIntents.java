package io.cyclefleet.deploy;

import java.time.Duration;
import java.util.Map;

/** Intents as {@link Deployments} hands them to an adapter, for adapter tests that play its part. */
public final class TestIntents {

    private TestIntents() {
    }

    /** A deploy to {@code to} recorded after observing {@code seen}: what ran before is what was seen. */
    public static Intent deploy(long token, String to, Observed seen, Duration actFor) {
        return new Intent(token, Intent.Action.DEPLOY, to, seen.version(), seen, Map.of(), System.nanoTime() + actFor.toNanos());
    }

    /** A rollback to {@code to} recorded after observing {@code seen}, restoring {@code restore} (what the deploy observed). */
    public static Intent rollback(long token, String to, Observed seen, Map<String, Object> restore, Duration actFor) {
        return new Intent(token, Intent.Action.ROLLBACK, to, seen.version(), seen, restore, System.nanoTime() + actFor.toNanos());
    }
}
