package io.cyclefleet.retention;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How long the record keeps what is over, and how the purge paces itself. */
@ConfigMapping(prefix = "cyclefleet.retention")
public interface RetentionConfig {

    /** Whether anything is ever deleted. */
    @WithDefault("true")
    boolean enabled();

    /**
     * A finished cycle is deleted this long after it finished, with its tasks, timeline, gate evaluations, reports and
     * deployment intents; a resolved incident this long after it was resolved. A cycle an unresolved incident names, or
     * the parent of an iteration still kept, stays.
     */
    @WithDefault("30d")
    Duration keep();

    /** How often the purge runs (on one orchestrator at a time). */
    @WithDefault("1m")
    String every();

    /** Cycles deleted per statement: short transactions, so the purge never holds up the hot path for long. */
    @WithDefault("100")
    int batch();

    /** At most this many cycles per run; the rest wait for the next run. */
    @WithDefault("5000")
    int maxPerRun();

    /**
     * A Redis stream consumer (of a worker or orchestrator that was killed, not drained) with nothing pending and idle
     * this long is removed from its group. Live consumers read every few seconds.
     */
    @WithDefault("1h")
    Duration consumersIdleAfter();
}
