package io.cyclefleet.fleet;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Publishes {@link FleetStats} as gauges, sampled on a schedule rather than at scrape time so that scrapes
 * (several Prometheus replicas, a curious operator) never add load on Postgres. Every orchestrator replica
 * samples the same rows: alert on max() of these, never sum().
 */
@Startup // created at start, not at first use, so its series exist on every replica from the start
@ApplicationScoped
public class FleetGauges {

    private static final Logger LOG = Logger.getLogger(FleetGauges.class);
    private static final List<String> ACTIVE_CYCLE_STATUSES = io.cyclefleet.task.CycleStatus.ACTIVE.stream().map(Enum::name).toList();
    private static final List<String> SEVERITIES = List.of("critical", "error", "warning", "info");

    private final FleetStats stats;
    private final AtomicReference<FleetStats.Snapshot> last = new AtomicReference<>();
    private final AtomicLong sampledAt = new AtomicLong();
    /**
     * Queue to when it last had work (epoch ms). An idle queue keeps reporting 0 for {@link #IDLE_QUEUE_KEPT}
     * instead of vanishing from graphs at once; after that its series go, so queue names that a cycle used
     * once (any name the planner accepts) do not add series for the life of the process.
     */
    private final Map<String, Long> activeQueues = new ConcurrentHashMap<>();
    static final Duration IDLE_QUEUE_KEPT = Duration.ofHours(1);
    private final MultiGauge depth;
    private final MultiGauge running;
    private final MultiGauge backlogAge;
    private final MultiGauge activeCycles;
    private final MultiGauge openIncidents;
    private final MultiGauge deployments;

    public FleetGauges(FleetStats stats, MeterRegistry registry) {
        this.stats = stats;
        depth = MultiGauge.builder("cyclefleet_queue_depth").description("tasks QUEUED, waiting for a worker").register(registry);
        running = MultiGauge.builder("cyclefleet_queue_running").description("tasks RUNNING").register(registry);
        backlogAge = MultiGauge.builder("cyclefleet_queue_backlog_age_seconds")
                .description("how long the oldest QUEUED task has waited; 0 when none waits").register(registry);
        activeCycles = MultiGauge.builder("cyclefleet_cycles_active").description("unfinished cycles by status").register(registry);
        openIncidents = MultiGauge.builder("cyclefleet_incidents_open").description("unresolved incidents").register(registry);
        deployments = MultiGauge.builder("cyclefleet_deployments_last_24h")
                .description("deployment steps of cycles finished in the last 24 h, by outcome").register(registry);
        Gauge.builder("cyclefleet_deployment_success_ratio", last, s -> value(s, x -> x.deployments().successRatio()))
                .description("succeeded / all deployment steps of cycles finished in the last 24 h").register(registry);
        Gauge.builder("cyclefleet_workers_live", last, s -> value(s, x -> x.workersLive()))
                .description("workers heartbeating, not draining").register(registry);
        Gauge.builder("cyclefleet_workers_draining", last, s -> value(s, x -> x.workersDraining()))
                .description("workers heartbeating while draining").register(registry);
        Gauge.builder("cyclefleet_notifications_pending", last, s -> value(s, x -> x.notificationsPending()))
                .description("incident notifications not yet delivered").register(registry);
        Gauge.builder("cyclefleet_fleet_sampled_timestamp_seconds", sampledAt, t -> t.get() / 1000.0)
                .description("when the gauges above were last read from Postgres (0: never); stale means Postgres is unreachable")
                .register(registry);
    }

    /** NaN until the first sample: an unknown is not a zero (a 0 would read as "no workers"). */
    private static double value(AtomicReference<FleetStats.Snapshot> s, ToDoubleFunction<FleetStats.Snapshot> f) {
        FleetStats.Snapshot x = s.get();
        return x == null ? Double.NaN : f.applyAsDouble(x);
    }

    @Scheduled(every = "${cyclefleet.metrics.sample-every:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sample() {
        FleetStats.Snapshot s;
        try {
            s = stats.snapshot();
        } catch (RuntimeException e) {
            LOG.debugf("could not sample the fleet's gauges: %s", e);
            return; // keep the last values; Postgres being down is what readiness and up{} report
        }
        long now = System.currentTimeMillis();
        last.set(s);
        sampledAt.set(now);
        Map<String, FleetStats.QueueStat> byQueue = new HashMap<>();
        s.queues().forEach(q -> byQueue.put(q.queue(), q));
        byQueue.keySet().forEach(q -> activeQueues.put(q, now));
        activeQueues.values().removeIf(at -> at < now - IDLE_QUEUE_KEPT.toMillis());
        List<String> queues = activeQueues.keySet().stream().sorted().toList();
        perQueue(depth, queues, byQueue, FleetStats.QueueStat::depth);
        perQueue(running, queues, byQueue, FleetStats.QueueStat::running);
        perQueue(backlogAge, queues, byQueue, FleetStats.QueueStat::oldestWaitSeconds);
        activeCycles.register(ACTIVE_CYCLE_STATUSES.stream()
                .map(st -> row(Tags.of("status", st), s.activeCycles().getOrDefault(st, 0L))).toList(), true);
        openIncidents.register(SEVERITIES.stream().flatMap(sev -> Stream.of(false, true).map(ack -> row(
                Tags.of("severity", sev, "acknowledged", Boolean.toString(ack)),
                s.openIncidents().stream().filter(i -> i.severity().equals(sev) && i.acknowledged() == ack)
                        .mapToLong(FleetStats.IncidentCount::count).sum()))).toList(), true);
        FleetStats.Deployments d = s.deployments();
        deployments.register(List.of(row(Tags.of("outcome", "succeeded"), d.succeeded()),
                row(Tags.of("outcome", "rolled_back"), d.rolledBack()), row(Tags.of("outcome", "failed"), d.failed())), true);
    }

    /** One row per queue; a queue without work in this sample reports 0. */
    private static void perQueue(MultiGauge gauge, List<String> queues, Map<String, FleetStats.QueueStat> byQueue,
                                 ToDoubleFunction<FleetStats.QueueStat> value) {
        gauge.register(queues.stream().map(q -> row(Tags.of("queue", q),
                byQueue.containsKey(q) ? value.applyAsDouble(byQueue.get(q)) : 0)).toList(), true);
    }

    private static MultiGauge.Row<?> row(Tags tags, double value) {
        return MultiGauge.Row.of(tags, value);
    }
}
