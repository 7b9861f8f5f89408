package io.cyclefleet.deploy;

import java.util.Map;

/**
 * What a target runs, as its adapter reads it without changing anything. {@code known} is false when the adapter
 * cannot tell (no current-version command or URL configured); {@code version} is null when it can tell that
 * nothing runs. {@code state} is the adapter's own view of the target (image, revision, resource version) that a
 * change is conditioned on and a rollback restores.
 */
public record Observed(String version, boolean known, Map<String, Object> state) {

    public static Observed unknown() {
        return new Observed(null, false, Map.of());
    }

    public static Observed version(String version) {
        return new Observed(version, true, Map.of());
    }

    /** True when the target is known to run {@code version}. */
    public boolean runs(String version) {
        return known && version != null && version.equals(this.version);
    }
}
