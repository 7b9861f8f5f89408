package io.cyclefleet.worker;

import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskOutcome;
import io.cyclefleet.task.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Worker-side metrics; names, labels and meanings are listed in docs/architecture.md ("Metrics"). */
@ApplicationScoped
public class WorkerMetrics {

    /** Fixed buckets (seconds): from a noop's milliseconds to an hour-long suite, few enough per kind and queue. */
    private static final Duration[] BUCKETS = Stream.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                    2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
            .map(s -> Duration.ofNanos((long) (s * 1e9))).toArray(Duration[]::new);

    private static final Map<String, String> HELP = Map.of(
            "cyclefleet_tasks_started", "attempts whose handler started",
            "cyclefleet_tasks_completed", "attempts that ended their task, as written to Postgres",
            "cyclefleet_task_retries", "attempts that failed and were scheduled for a retry",
            "cyclefleet_tasks_handed_back", "attempts that ended without a verdict (a fault stopped them, or they were deferred), handed back without spending an attempt",
            "cyclefleet_results_rejected", "results fenced out: this worker had lost the lease",
            "cyclefleet_deliveries_rejected", "deliveries dropped at claim: duplicate, stale attempt or malformed",
            "cyclefleet_worker_fetch_failures", "fetches from Redis that failed",
            "cyclefleet_task_queue_wait", "time QUEUED at this attempt until claimed",
            "cyclefleet_task_duration", "handler run time of an attempt");

    private final MeterRegistry registry;

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * The runtime's live state, read at scrape time; and every counter this worker can move, at zero, so that
     * rate() and increase() see a series from the start instead of an absent one until the first event.
     */
    void bind(Supplier<Number> inFlight, int concurrency, Supplier<Boolean> draining, Supplier<Number> hung, Set<String> kinds,
              List<String> queues) {
        Gauge.builder("cyclefleet_worker_in_flight", inFlight).description("tasks claimed and not yet written").register(registry);
        Gauge.builder("cyclefleet_worker_hung_tasks", hung)
                .description("handlers running past their timeout plus hang-grace that ignore interruption (the worker is not ready)")
                .register(registry);
        Gauge.builder("cyclefleet_worker_concurrency", () -> concurrency).description("tasks run at once at most").register(registry);
        Gauge.builder("cyclefleet_worker_draining", () -> draining.get() ? 1 : 0).description("1 while draining after SIGTERM").register(registry);
        for (String queue : queues) {
            counter("cyclefleet_deliveries_rejected", "queue", queue);
            counter("cyclefleet_worker_fetch_failures", "queue", queue);
            for (String kind : kinds) {
                counter("cyclefleet_tasks_started", "kind", kind, "queue", queue);
                counter("cyclefleet_tasks_completed", "kind", kind, "queue", queue, "outcome", "succeeded");
                counter("cyclefleet_tasks_completed", "kind", kind, "queue", queue, "outcome", "failed");
                counter("cyclefleet_task_retries", "kind", kind, "queue", queue);
                counter("cyclefleet_tasks_handed_back", "kind", kind, "queue", queue);
                counter("cyclefleet_results_rejected", "kind", kind, "queue", queue);
            }
        }
    }

    void claimed(ClaimedTask t) {
        timer("cyclefleet_task_queue_wait", "queue", t.queue()).record(t.queueWait());
    }

    void started(ClaimedTask t) {
        counter("cyclefleet_tasks_started", "kind", t.kind(), "queue", t.queue()).increment();
    }

    /** An attempt's result as Postgres took it (accepted) or fenced it out (a lease this worker had lost). */
    void finished(ClaimedTask t, TaskOutcome written, boolean accepted, Duration ran) {
        TaskStatus status = written.status();
        if (!accepted) {
            counter("cyclefleet_results_rejected", "kind", t.kind(), "queue", t.queue()).increment();
            return;
        }
        if (written.fault() != TaskOutcome.Fault.NONE) {
            counter("cyclefleet_tasks_handed_back", "kind", t.kind(), "queue", t.queue()).increment();
            return;
        }
        String outcome = switch (status) {
            case SUCCEEDED -> "succeeded";
            case RETRY_WAIT -> "retry";
            default -> "failed";
        };
        if (status == TaskStatus.RETRY_WAIT) {
            counter("cyclefleet_task_retries", "kind", t.kind(), "queue", t.queue()).increment();
        } else {
            counter("cyclefleet_tasks_completed", "kind", t.kind(), "queue", t.queue(), "outcome", outcome).increment();
        }
        if (ran != null) {
            timer("cyclefleet_task_duration", "kind", t.kind(), "outcome", outcome).record(ran);
        }
    }

    void staleDeliveries(String queue, int n) {
        counter("cyclefleet_deliveries_rejected", "queue", queue).increment(n);
    }

    void fetchFailed(String queue) {
        counter("cyclefleet_worker_fetch_failures", "queue", queue).increment();
    }

    private Counter counter(String name, String... tags) {
        return Counter.builder(name).description(HELP.get(name)).tags(tags).register(registry);
    }

    private Timer timer(String name, String... tags) {
        return Timer.builder(name).description(HELP.get(name)).tags(tags).serviceLevelObjectives(BUCKETS).register(registry);
    }
}
