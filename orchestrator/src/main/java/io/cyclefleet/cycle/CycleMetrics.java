package io.cyclefleet.cycle;

import io.cyclefleet.task.CycleStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** Orchestrator-side counters; names, labels and meanings are listed in docs/architecture.md ("Metrics"). */
@Startup // created at start, not at first use, so its series exist (at zero) on every replica from the start
@ApplicationScoped
public class CycleMetrics {

    /** Seconds: around the 5-minute MTTR goal, finer below it. */
    private static final Duration[] MTTR_BUCKETS = IntStream.of(10, 30, 60, 120, 180, 240, 300, 420, 600, 900, 1800, 3600)
            .mapToObj(Duration::ofSeconds).toArray(Duration[]::new);

    private static final Map<String, String> HELP = Map.of(
            "cyclefleet_cycles_submitted", "cycles accepted over the API",
            "cyclefleet_cycles_finished", "cycles finished, by outcome",
            "cyclefleet_rollbacks", "rollback branches finished, by outcome",
            "cyclefleet_task_redeliveries", "tasks the reconciler put on Redis again, by reason",
            "cyclefleet_reconciler_repairs", "repairs made by the reconciler, by what it repaired");

    private static final List<String> REPAIRS = List.of("redis_data_lost", "lease_expired_redelivered", "lease_expired_failed",
            "undispatched_sent", "stale_dispatch_resent", "orphan_resent", "orphan_dropped", "stalled_cycle_advanced");

    private final MeterRegistry registry;
    private final Timer mttr;

    public CycleMetrics(MeterRegistry registry) {
        this.registry = registry;
        // Every series an alert reads exists from the start, at zero: increase() of an absent series is empty, not 0.
        counter("cyclefleet_cycles_submitted");
        for (CycleStatus s : List.of(CycleStatus.SUCCEEDED, CycleStatus.ROLLED_BACK, CycleStatus.FAILED, CycleStatus.CANCELLED)) {
            counter("cyclefleet_cycles_finished", "outcome", s.name());
        }
        counter("cyclefleet_rollbacks", "outcome", "recovered");
        counter("cyclefleet_rollbacks", "outcome", "failed");
        List.of("lease_expired", "undispatched", "resent", "orphaned").forEach(r -> counter("cyclefleet_task_redeliveries", "reason", r));
        REPAIRS.forEach(r -> counter("cyclefleet_reconciler_repairs", "repair", r));
        mttr = Timer.builder("cyclefleet_mttr").description("failure detected until rollback verified")
                .serviceLevelObjectives(MTTR_BUCKETS).register(registry);
    }

    public void submitted() {
        counter("cyclefleet_cycles_submitted").increment();
    }

    public void finished(CycleStatus status) {
        counter("cyclefleet_cycles_finished", "outcome", status.name()).increment();
    }

    /** A finished rollback: whether it recovered the target, and the time from detection to rollback verified. */
    public void rollback(boolean recovered, Long mttrMs) {
        counter("cyclefleet_rollbacks", "outcome", recovered ? "recovered" : "failed").increment();
        if (mttrMs != null) {
            mttr.record(Duration.ofMillis(mttrMs));
        }
    }

    /** Tasks the reconciler put on Redis again, by why (lease_expired, undispatched, resent, orphaned). */
    public void redelivered(String reason, int count) {
        if (count > 0) {
            counter("cyclefleet_task_redeliveries", "reason", reason).increment(count);
        }
    }

    /** A repair made by the reconciler (invariant 8): what it found and fixed. */
    public void repaired(String what, int count) {
        if (count > 0) {
            counter("cyclefleet_reconciler_repairs", "repair", what).increment(count);
        }
    }

    private Counter counter(String name, String... tags) {
        return Counter.builder(name).description(HELP.get(name)).tags(tags).register(registry);
    }
}
