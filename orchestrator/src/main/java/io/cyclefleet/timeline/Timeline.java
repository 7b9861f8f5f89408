package io.cyclefleet.timeline;

import io.cyclefleet.api.Page;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A cycle's timeline as the API, the dashboard and incident reports read it: the cycle_timeline view (V15), stored
 * events and the routine ones built from task rows, in order of time.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.SUPPORTS)
public class Timeline {

    private final EntityManager em;

    public Timeline(EntityManager em) {
        this.em = em;
    }

    /** The newest {@code limit} events of a cycle, oldest first: where a failure and its rollback are. */
    public List<TimelineEvent> latestEvents(UUID cycle, int limit) {
        List<CycleEventEntity> rows = new ArrayList<>(CycleEventEntity.find("cycleId = ?1", Sort.descending("at", "id"), cycle)
                .page(0, limit).<CycleEventEntity>list());
        Collections.reverse(rows);
        return events(rows);
    }

    /**
     * A cycle's timeline in order of time, from the event after {@code after} (an event id; null: from the start, and an
     * id the cycle has no event of: nothing). Routine events are built from the task rows (V15), so the order is by
     * time, not by id.
     */
    public Page<TimelineEvent> events(UUID cycle, Long after, int limit) {
        List<CycleEventEntity> rows;
        if (after == null) {
            rows = CycleEventEntity.find("cycleId = ?1", Sort.by("at", "id"), cycle).page(0, limit + 1).list();
        } else {
            Optional<CycleEventEntity> last = CycleEventEntity.find("cycleId = ?1 and id = ?2", cycle, after).firstResultOptional();
            if (last.isEmpty()) {
                return Page.of(List.<TimelineEvent>of(), limit, e -> e, TimelineEvent::id);
            }
            rows = CycleEventEntity.find("cycleId = ?1 and (at > ?2 or (at = ?2 and id > ?3))", Sort.by("at", "id"), cycle,
                    last.get().at, after).page(0, limit + 1).list();
        }
        List<TimelineEvent> views = events(rows);
        return Page.of(views, limit, e -> e, TimelineEvent::id);
    }

    private List<TimelineEvent> events(List<CycleEventEntity> rows) {
        // step keys of just the tasks on this page, not every task of the cycle
        Map<Long, String> keys = new HashMap<>();
        List<Long> taskIds = rows.stream().map(e -> e.taskId).filter(java.util.Objects::nonNull).distinct().toList();
        if (!taskIds.isEmpty()) {
            em.createQuery("select t.id, t.stepKey from TaskEntity t where t.id in :ids", Object[].class)
                    .setParameter("ids", taskIds).getResultList()
                    .forEach(r -> keys.put((Long) r[0], (String) r[1]));
        }
        return rows.stream().map(e -> new TimelineEvent(e.id, e.at, e.type, e.taskId,
                e.taskId == null ? null : keys.get(e.taskId), e.fromStatus, e.toStatus, e.attempt, e.workerId, e.detail)).toList();
    }
}
