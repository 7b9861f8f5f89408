package io.cyclefleet.incident;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.api.JsonText;
import io.cyclefleet.api.Page;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The read side of incidents, through Panache. */
@ApplicationScoped
@Transactional(Transactional.TxType.SUPPORTS)
public class IncidentQueries {

    private final EntityManager em;
    private final ObjectMapper json;

    public IncidentQueries(EntityManager em, ObjectMapper json) {
        this.em = em;
        this.json = json;
    }

    public Optional<IncidentViews.Incident> incident(UUID id) {
        IncidentEntity i = IncidentEntity.findById(id);
        if (i == null) {
            return Optional.empty();
        }
        List<IncidentViews.Event> events = IncidentEventEntity.<IncidentEventEntity>list("incidentId", Sort.by("id"), id).stream()
                .map(e -> new IncidentViews.Event(e.at, e.type, e.actor, e.cycleId, e.detail)).toList();
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                select id, event_action, status, attempts, last_error, created_at, delivered_at from notification
                where incident_id = ?1 order by id""").setParameter(1, id).getResultList();
        List<IncidentViews.Notification> notifications = new ArrayList<>();
        for (Object[] r : rows) {
            notifications.add(new IncidentViews.Notification(((Number) r[0]).longValue(), (String) r[1], (String) r[2],
                    ((Number) r[3]).intValue(), (String) r[4], time(r[5]), time(r[6])));
        }
        return Optional.of(new IncidentViews.Incident(i.id, i.dedupKey, i.title, i.severity, i.status, i.target, i.cause,
                i.occurrences, i.cycleId, i.latestCycleId, JsonText.tree(json, i.details), i.runbookUrl, i.openedAt, i.lastSeenAt,
                i.acknowledgedAt, i.acknowledgedBy, i.resolvedAt, i.resolvedBy, events, notifications));
    }

    /** Newest first; {@code after} is the id of the last incident of the previous page. */
    public Page<IncidentViews.Summary> list(Optional<String> status, Optional<UUID> after, int limit) {
        StringBuilder q = new StringBuilder("1 = 1");
        Parameters p = new Parameters();
        status.ifPresent(s -> {
            q.append(" and status = :status");
            p.and("status", s);
        });
        if (after.isPresent()) {
            IncidentEntity last = IncidentEntity.findById(after.get());
            if (last != null) {
                q.append(" and (openedAt < :at or (openedAt = :at and id < :id))");
                p.and("at", last.openedAt).and("id", last.id);
            }
        }
        List<IncidentEntity> rows = IncidentEntity.find(q.toString(), Sort.descending("openedAt", "id"), p).page(0, limit + 1).list();
        return Page.of(rows, limit, i -> new IncidentViews.Summary(i.id, i.title, i.severity, i.status, i.target, i.cause,
                i.occurrences, i.latestCycleId, i.openedAt, i.lastSeenAt), IncidentViews.Summary::id);
    }

    private static OffsetDateTime time(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof OffsetDateTime t) {
            return t;
        }
        if (o instanceof java.time.Instant t) {
            return t.atOffset(ZoneOffset.UTC);
        }
        return ((Timestamp) o).toInstant().atOffset(ZoneOffset.UTC);
    }
}
