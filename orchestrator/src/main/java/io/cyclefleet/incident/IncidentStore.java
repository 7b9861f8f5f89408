package io.cyclefleet.incident;

import io.cyclefleet.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Incident writes. Opening happens inside the transaction that ends the cycle, so a cycle never ends
 * ROLLED_BACK or FAILED-after-rollback without its incident; one incident per target and cause stays active
 * (a repeat counts an occurrence), and every change queues its notification in the same transaction.
 */
@ApplicationScoped
public class IncidentStore {

    private static final Logger LOG = Logger.getLogger(IncidentStore.class);

    private final DataSource ds;
    private final IncidentConfig config;
    private final NotificationOutbox outbox;

    public IncidentStore(DataSource ds, IncidentConfig config, NotificationOutbox outbox) {
        this.ds = ds;
        this.config = config;
        this.outbox = outbox;
    }

    /** Opens the incident for the cycle's target and this cause, or counts a repeat of the active one. */
    public UUID open(Connection c, UUID cycle, IncidentCause cause) throws SQLException {
        String target;
        String details;
        try (PreparedStatement ps = c.prepareStatement(DETAILS)) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                target = rs.getString(1);
                details = rs.getString(2);
            }
        }
        String title = cause.title() + " (" + target + ")";
        title = title.length() > 130 ? title.substring(0, 129) + "…" : title;
        UUID id;
        boolean opened;
        try (PreparedStatement ps = c.prepareStatement("""
                insert into incident (id, dedup_key, target, cause, severity, status, title, cycle_id, latest_cycle_id, details, runbook_url)
                values (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?::jsonb, ?)
                on conflict (dedup_key) where status <> 'resolved' do update
                    set occurrences = incident.occurrences + 1, latest_cycle_id = excluded.latest_cycle_id,
                        last_seen_at = now(), details = excluded.details
                returning id, xmax = 0""")) {
            ps.setObject(1, UUID.randomUUID());
            ps.setString(2, dedupKey(target, cause));
            ps.setString(3, target);
            ps.setString(4, cause.wireName());
            ps.setString(5, cause.severity());
            ps.setString(6, title);
            ps.setObject(7, cycle);
            ps.setObject(8, cycle);
            ps.setString(9, details);
            ps.setString(10, config.runbookBaseUrl() + "#" + cause.wireName());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getObject(1, UUID.class);
                opened = rs.getBoolean(2);
            }
        }
        event(c, id, opened ? "opened" : "repeated", "orchestrator", cycle, opened ? title : "the same failure happened again");
        if (opened) {
            outbox.enqueue(c, id, "trigger");
        }
        LOG.warnf("incident %s %s: %s (cycle %s)", id, opened ? "opened" : "repeated", title, cycle);
        return id;
    }

    /**
     * A rerun rollback recovered the target: the rollback-failed incident this cycle last opened or repeated
     * is resolved by the orchestrator (and its receiver told), so it stops paging.
     */
    public void resolveRecovered(Connection c, UUID cycle) throws SQLException {
        java.util.List<UUID> resolved = new java.util.ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                update incident set status = 'resolved', resolved_at = now(), resolved_by = 'orchestrator'
                where latest_cycle_id = ? and cause = ? and status <> 'resolved' returning id""")) {
            ps.setObject(1, cycle);
            ps.setString(2, IncidentCause.ROLLBACK_FAILED.wireName());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    resolved.add(rs.getObject(1, UUID.class));
                }
            }
        }
        for (UUID id : resolved) {
            event(c, id, "resolved", "orchestrator", cycle, "the rerun rollback recovered the target");
            outbox.enqueue(c, id, "resolve");
        }
    }

    static String dedupKey(String target, IncidentCause cause) {
        return target + ":" + cause.wireName();
    }

    public enum Transition { DONE, UNCHANGED, NOT_FOUND, CONFLICT }

    /** open → acknowledged; acknowledging twice changes nothing; a resolved incident cannot be acknowledged. */
    public Transition acknowledge(UUID incident, String actor) {
        return transition(incident, actor, "acknowledged", "acknowledge");
    }

    /** open | acknowledged → resolved; resolving twice changes nothing. */
    public Transition resolve(UUID incident, String actor) {
        return transition(incident, actor, "resolved", "resolve");
    }

    private Transition transition(UUID incident, String actor, String to, String action) {
        return Jdbc.inTransaction(ds, c -> {
            String status;
            try (PreparedStatement ps = c.prepareStatement("select status from incident where id = ? for update")) {
                ps.setObject(1, incident);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Transition.NOT_FOUND;
                    }
                    status = rs.getString(1);
                }
            }
            if (status.equals(to)) {
                return Transition.UNCHANGED;
            }
            if (status.equals("resolved")) {
                return Transition.CONFLICT;
            }
            String column = to.equals("resolved") ? "resolved" : "acknowledged";
            try (PreparedStatement ps = c.prepareStatement(
                    "update incident set status = ?, " + column + "_at = now(), " + column + "_by = ? where id = ?")) {
                ps.setString(1, to);
                ps.setString(2, actor);
                ps.setObject(3, incident);
                ps.executeUpdate();
            }
            event(c, incident, to, actor, null, null);
            outbox.enqueue(c, incident, action);
            return Transition.DONE;
        });
    }

    static void event(Connection c, UUID incident, String type, String actor, UUID cycle, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "insert into incident_event (incident_id, type, actor, cycle_id, detail) values (?, ?, ?, ?, ?)")) {
            ps.setObject(1, incident);
            ps.setString(2, type);
            ps.setString(3, actor);
            ps.setObject(4, cycle);
            ps.setString(5, detail);
            ps.executeUpdate();
        }
    }

    /** What on-call needs about the cycle, captured as it ends: failures, tripped conditions, the rollback. */
    private static final String DETAILS = """
            select coalesce(c.target, c.name), jsonb_build_object(
                'cycle', jsonb_build_object('id', c.id, 'name', c.name, 'iteration', c.iteration, 'status', c.status,
                                            'error', c.error, 'createdAt', c.created_at, 'finishedAt', c.finished_at,
                                            'deadlineAt', c.deadline_at),
                'trigger', c.rollback_cause,
                'failingTasks', coalesce((
                    select jsonb_agg(jsonb_build_object('step', t.step_key, 'kind', t.kind, 'branch', t.branch,
                                     'attempt', t.attempt, 'maxAttempts', t.max_attempts, 'workerId', t.worker_id,
                                     'error', left(t.error, 4000), 'metrics', t.metrics, 'score', t.score,
                                     'finishedAt', t.finished_at) order by t.id)
                    from task t where t.cycle_id = c.id and t.status in ('FAILED', 'CANCELLED') and t.kind <> 'gate'), '[]'::jsonb),
                'trippedConditions', coalesce((
                    select jsonb_agg(jsonb_build_object('gate', g.gate_key, 'condition', x->>'condition', 'observed', x->'observed',
                                     'op', x->>'op', 'threshold', x->'threshold', 'verdict', x->>'verdict') order by g.id)
                    from gate_evaluation g cross join lateral jsonb_array_elements(g.conditions) x
                    where g.cycle_id = c.id and g.verdict = 'fail' and x->>'verdict' <> 'pass'), '[]'::jsonb),
                'rollback', case when c.failure_detected_at is null then null else jsonb_build_object(
                    'detectedAt', c.failure_detected_at, 'finishedAt', c.rollback_finished_at, 'mttrMs', c.mttr_ms,
                    'succeeded', not exists (select 1 from task t where t.cycle_id = c.id and t.branch = 'rollback'
                                                                    and t.status <> 'SUCCEEDED'),
                    'steps', (select jsonb_agg(jsonb_build_object('step', t.step_key, 'kind', t.kind, 'status', t.status,
                                               'error', left(t.error, 2000)) order by t.id)
                              from task t where t.cycle_id = c.id and t.branch = 'rollback')) end)::text
            from cycle c where c.id = ?""";
}
