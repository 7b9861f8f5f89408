package io.cyclefleet.cycle;

import io.cyclefleet.task.CycleStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import jakarta.enterprise.context.ApplicationScoped;

/** Orchestrator-side counters; names follow docs/architecture.md. */
@ApplicationScoped
public class CycleMetrics {

    private final MeterRegistry registry;

    public CycleMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void submitted() {
        registry.counter("cyclefleet_cycles_submitted").increment();
    }

    public void finished(CycleStatus status) {
        registry.counter("cyclefleet_cycles_finished", "outcome", status.name()).increment();
    }

    /** A finished rollback: whether it recovered the target, and the time from detection to rollback verified. */
    public void rollback(boolean recovered, Long mttrMs) {
        registry.counter("cyclefleet_rollbacks", "outcome", recovered ? "recovered" : "failed").increment();
        if (mttrMs != null) {
            Timer.builder("cyclefleet_mttr").description("failure detected → rollback verified").publishPercentileHistogram()
                    .register(registry).record(Duration.ofMillis(mttrMs));
        }
    }

    /** A repair made by the reconciler (invariant 8): what it found and fixed. */
    public void repaired(String what, int count) {
        if (count > 0) {
            registry.counter("cyclefleet_reconciler_repairs", "repair", what).increment(count);
        }
    }
}
