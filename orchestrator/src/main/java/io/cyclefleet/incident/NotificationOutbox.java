package io.cyclefleet.incident;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Queues a PagerDuty Events v2 body for an incident change, in the caller's transaction: the change and its
 * notification commit together, and {@link Notifier} delivers it later, however long the receiver is down.
 * The routing key is a secret: it is added at send time, never stored.
 * <p>
 * The receiver's dedup_key names the incident itself ({@code cyclefleet-incident-<id>}), not its
 * {@code target:cause}: that key is shared by every incident of the target and cause over time, so a late
 * resolve of an old incident would close the newer one. Acknowledge and resolve reuse the key their trigger
 * was sent with, so an incident triggered under an earlier key is still closed under it.
 */
@ApplicationScoped
public class NotificationOutbox {

    private final IncidentConfig config;

    public NotificationOutbox(IncidentConfig config) {
        this.config = config;
    }

    void enqueue(Connection c, UUID incident, String action) throws SQLException {
        if (config.notifications().webhookUrl().isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into notification (incident_id, event_action, body)
                select i.id, ?, case when ? = 'trigger' then jsonb_build_object(
                    'event_action', 'trigger', 'dedup_key', k.key, 'client', 'cyclefleet',
                    'client_url', ? || '/api/v1/incidents/' || i.id || '/report',
                    'payload', jsonb_build_object(
                        'summary', i.title, 'source', 'cyclefleet', 'severity', i.severity,
                        'timestamp', to_char(i.opened_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                        'component', i.target, 'group', c.name, 'class', i.cause,
                        'custom_details', jsonb_build_object('incidentId', i.id, 'cycleId', i.latest_cycle_id,
                                                             'occurrences', i.occurrences, 'trigger', i.details->'trigger',
                                                             'rollback', i.details->'rollback')),
                    'links', jsonb_build_array(
                        jsonb_build_object('href', ? || '/api/v1/incidents/' || i.id || '/report', 'text', 'Incident report'),
                        jsonb_build_object('href', i.runbook_url, 'text', 'Runbook')))
                else jsonb_build_object('event_action', ?, 'dedup_key', k.key) end
                from incident i join cycle c on c.id = i.latest_cycle_id
                cross join lateral (select coalesce((select t.body->>'dedup_key' from notification t
                                                     where t.incident_id = i.id and t.event_action = 'trigger'
                                                     order by t.id limit 1),
                                                    'cyclefleet-incident-' || i.id) as key) k
                where i.id = ?""")) {
            String base = config.publicUrl().replaceAll("/+$", "");
            ps.setString(1, action);
            ps.setString(2, action);
            ps.setString(3, base);
            ps.setString(4, base);
            ps.setString(5, action);
            ps.setObject(6, incident);
            ps.executeUpdate();
        }
    }
}
