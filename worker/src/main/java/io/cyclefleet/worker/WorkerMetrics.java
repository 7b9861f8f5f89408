package io.cyclefleet.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/** Worker-side counters; names follow docs/architecture.md. */
@ApplicationScoped
public class WorkerMetrics {

    private final MeterRegistry registry;
    private final Counter staleDeliveries;

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.staleDeliveries = Counter.builder("cyclefleet_worker_deliveries_rejected")
                .description("deliveries whose task was no longer QUEUED at that attempt (duplicates, stale)")
                .register(registry);
    }

    void completed(String kind, String outcome) {
        registry.counter("cyclefleet_worker_tasks_completed", "kind", kind, "outcome", outcome).increment();
    }

    void staleDeliveries(int n) {
        staleDeliveries.increment(n);
    }
}
