package io.cyclefleet.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "cyclefleet.worker")
public interface WorkerConfig {

    /** Defaults to host-pid-random; must be unique among live workers. */
    Optional<String> id();

    @WithDefault("default")
    List<String> queues();

    /** Tasks run at once. */
    @WithDefault("8")
    int concurrency();

    /** Tasks claimed beyond those running, so a worker never idles between fetches. Bounded. */
    @WithDefault("8")
    int prefetch();

    /** Lease (visibility timeout) taken at claim and renewed by each heartbeat. */
    @WithDefault("30s")
    Duration lease();

    /**
     * How often leases are renewed. A run whose lease has not been renewed for lease - 2 x heartbeat is fenced
     * (stopped) by the worker itself, before the reconciler can give the task to another worker.
     */
    @WithDefault("5s")
    Duration heartbeat();

    /** How long in-flight tasks may run on after SIGTERM before they are interrupted and handed back. */
    @WithDefault("25s")
    Duration drainTimeout();

    /**
     * After the drain timeout, how long interrupted tasks get to stop before the worker exits; a task still
     * running then is not handed back (its next attempt must not start beside it): its lease expires instead.
     */
    @WithDefault("5s")
    Duration stopGrace();

    /**
     * A handler still running this long after its timeout ignores interruption: it is handed back (redelivered
     * elsewhere), the worker reports not ready, hands back what it prefetched and fetches nothing until it returns.
     */
    @WithDefault("10s")
    Duration hangGrace();

    /** Longest blocking read on an empty queue; also bounds how long a drain waits for the fetch loop. */
    @WithDefault("1s")
    Duration fetchBlock();

    /** Most results written to Postgres in one statement. */
    @WithDefault("500")
    int resultBatch();
}
