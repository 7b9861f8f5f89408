package io.cyclefleet.fleet;

import io.cyclefleet.config.OrchestratorConfig;
import io.cyclefleet.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The fleet as Postgres (the record) sees it now: queues, unfinished cycles, open incidents, recent
 * deployments, workers, the notification outbox. One read-only transaction of small aggregate queries, each
 * on an index; read by the metrics sampler ({@link FleetGauges}) and the dashboard.
 */
@ApplicationScoped
public class FleetStats {

    /** Throughput is tasks finished over this window, per second. */
    static final int THROUGHPUT_WINDOW_SECONDS = 300;

    public record QueueStat(String queue, long depth, long running, double oldestWaitSeconds, double finishedPerSecond) {
    }

    public record IncidentCount(String severity, boolean acknowledged, long count) {
    }

    /** Deployment steps of the cycles finished in the last 24 h: a deploy whose cycle rolled back is not a success. */
    public record Deployments(long succeeded, long rolledBack, long failed) {
        public long total() {
            return succeeded + rolledBack + failed;
        }

        /** NaN when there were none: no deployments is not a 0 % (nor a 100 %) success rate. */
        public double successRatio() {
            return total() == 0 ? Double.NaN : (double) succeeded / total();
        }
    }

    public record Snapshot(List<QueueStat> queues, Map<String, Long> activeCycles, List<IncidentCount> openIncidents,
                           Deployments deployments, long workersLive, long workersDraining, long notificationsPending) {
    }

    private final DataSource ds;
    private final OrchestratorConfig config;

    public FleetStats(DataSource ds, OrchestratorConfig config) {
        this.ds = ds;
        this.config = config;
    }

    public Snapshot snapshot() {
        return Jdbc.inTransaction(ds, c -> {
            Map<String, Long> workers = countBy(c, """
                    select status, count(*) from worker
                    where status in ('LIVE', 'DRAINING') and last_seen_at > now() - make_interval(secs => ?)
                    group by status""", config.reconciler().workerGoneAfter().toMillis() / 1000.0);
            return new Snapshot(queues(c),
                    countBy(c, "select status, count(*) from cycle where finished_at is null group by status"),
                    incidents(c), deployments(c),
                    workers.getOrDefault("LIVE", 0L), workers.getOrDefault("DRAINING", 0L),
                    countBy(c, "select 'pending', count(*) from notification where status = 'pending'").getOrDefault("pending", 0L));
        });
    }

    private static List<QueueStat> queues(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                with active as (
                    select queue, count(*) filter (where status = 'QUEUED') as depth,
                           count(*) filter (where status = 'RUNNING') as running,
                           coalesce(extract(epoch from now() - min(queued_at) filter (where status = 'QUEUED')), 0) as oldest
                    from task where status in ('QUEUED', 'RUNNING') group by queue),
                finished as (
                    select queue, count(*) as n from task
                    where finished_at > now() - make_interval(secs => ?) and started_at is not null group by queue)
                select coalesce(a.queue, f.queue), coalesce(a.depth, 0), coalesce(a.running, 0), coalesce(a.oldest, 0),
                       coalesce(f.n, 0)
                from active a full join finished f on f.queue = a.queue
                order by 1""")) {
            ps.setInt(1, THROUGHPUT_WINDOW_SECONDS);
            List<QueueStat> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new QueueStat(rs.getString(1), rs.getLong(2), rs.getLong(3), Math.max(0, rs.getDouble(4)),
                            rs.getLong(5) / (double) THROUGHPUT_WINDOW_SECONDS));
                }
            }
            return out;
        }
    }

    private static List<IncidentCount> incidents(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select severity, status = 'acknowledged', count(*) from incident where status <> 'resolved'
                group by 1, 2 order by 1, 2""");
             ResultSet rs = ps.executeQuery()) {
            List<IncidentCount> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new IncidentCount(rs.getString(1), rs.getBoolean(2), rs.getLong(3)));
            }
            return out;
        }
    }

    private static Deployments deployments(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select count(*) filter (where t.status = 'SUCCEEDED' and c.failure_detected_at is null),
                       count(*) filter (where t.status = 'SUCCEEDED' and c.failure_detected_at is not null),
                       count(*) filter (where t.status = 'FAILED')
                from cycle c join task t on t.cycle_id = c.id and t.kind = 'deployment'
                where c.finished_at > now() - interval '24 hours'""");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new Deployments(rs.getLong(1), rs.getLong(2), rs.getLong(3));
        }
    }

    private static Map<String, Long> countBy(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            Map<String, Long> out = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
            return out;
        }
    }
}
