package io.cyclefleet.cycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.api.JsonText;
import io.cyclefleet.api.Page;
import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.TaskEntity;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/** The read side of the API, through Panache. */
@ApplicationScoped
@Transactional(Transactional.TxType.SUPPORTS)
public class CycleQueries {

    private final EntityManager em;
    private final ObjectMapper json;

    public CycleQueries(EntityManager em, ObjectMapper json) {
        this.em = em;
        this.json = json;
    }

    public Optional<CycleViews.Cycle> cycle(UUID id) {
        CycleEntity c = CycleEntity.findById(id);
        if (c == null) {
            return Optional.empty();
        }
        List<TaskEntity> tasks = TaskEntity.list("cycleId", Sort.by("id"), id);
        Map<Long, List<String>> deps = dependencies(id);
        Map<String, Long> counts = new TreeMap<>();
        List<CycleViews.Task> views = new ArrayList<>(tasks.size());
        double scoreSum = 0;
        int scored = 0;
        for (TaskEntity t : tasks) {
            counts.merge(t.status, 1L, Long::sum);
            if (t.score != null) {
                scoreSum += t.score;
                scored++;
            }
            views.add(new CycleViews.Task(t.id, t.stepKey, t.kind, t.branch, t.risk, t.status, t.attempt, t.maxAttempts, t.leaseLosses, t.queue,
                    t.priority, deps.getOrDefault(t.id, List.of()), parse(t.result), parse(t.metrics),
                    t.score == null ? null : t.score.doubleValue(), t.error, t.workerId, t.needsApproval, t.approvedBy,
                    t.createdAt, t.startedAt, t.finishedAt, t.nextRunAt));
        }
        Double average = scored == 0 ? null : Math.round(scoreSum / scored * 100) / 100.0;
        List<String> awaiting = "AWAITING_APPROVAL".equals(c.status) ? views.stream()
                .filter(t -> t.needsApproval() && t.approvedBy() == null && "PENDING".equals(t.status())).map(CycleViews.Task::key)
                .filter(k -> readyKeys(tasks, deps).contains(k)).toList() : List.of();
        CycleViews.Rollback rollback = c.failureDetectedAt == null ? null
                : new CycleViews.Rollback(c.failureDetectedAt, c.rollbackCause, c.rollbackStartedBy, c.rollbackDeadlineAt,
                        c.rollbackFinishedAt, c.mttrMs);
        UUID next = CycleEntity.<CycleEntity>find("parentId", id).firstResultOptional().map(x -> x.id).orElse(null);
        return Optional.of(new CycleViews.Cycle(c.id, c.name, c.target, c.status, c.error, c.createdAt, c.updatedAt, c.finishedAt,
                c.deadlineAt, c.iteration, c.parentId, next, c.nextIterationAt, awaiting,
                CycleStatus.WAITING_FOR_TARGET.name().equals(c.status) ? waitingFor(id) : null, rollback, counts, average,
                deployments(id), views));
    }


    /** The cycle holding a lease of what this waiting cycle changes, or the older one it waits behind. */
    private UUID waitingFor(UUID cycle) {
        @SuppressWarnings("unchecked")
        List<Object> rows = em.createNativeQuery("""
                (select l.cycle_id from target_lease l join cycle w on l.resource = any(w.change_resources) where w.id = ?1 limit 1)
                union all
                (select o.id from cycle w join cycle o on o.status = 'WAITING_FOR_TARGET' and o.change_resources && w.change_resources
                   and (o.created_at, o.id) < (w.created_at, w.id) where w.id = ?1 order by o.created_at limit 1)
                limit 1""").setParameter(1, cycle).getResultList();
        return rows.isEmpty() ? null : (UUID) rows.get(0);
    }

    private List<CycleViews.Deployment> deployments(UUID cycle) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                select id, step_key, attempt, action, adapter, worker_id, previous_version, observed_version, to_version,
                       recorded_at, act_until, ended_at
                from deployment_intent where cycle_id = ?1 order by id""").setParameter(1, cycle).getResultList();
        List<CycleViews.Deployment> out = new ArrayList<>(rows.size());
        for (Object[] r : rows) {
            out.add(new CycleViews.Deployment(((Number) r[0]).longValue(), (String) r[1], ((Number) r[2]).intValue(), (String) r[3],
                    (String) r[4], (String) r[5], (String) r[6], (String) r[7], (String) r[8], time(r[9]), time(r[10]), time(r[11])));
        }
        return out;
    }

    private static java.time.OffsetDateTime time(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof java.time.OffsetDateTime t) {
            return t;
        }
        if (o instanceof java.time.Instant i) {
            return i.atOffset(java.time.ZoneOffset.UTC);
        }
        return ((java.sql.Timestamp) o).toInstant().atOffset(java.time.ZoneOffset.UTC);
    }

    /** Keys of the tasks whose dependencies have all succeeded. */
    private static java.util.Set<String> readyKeys(List<TaskEntity> tasks, Map<Long, List<String>> deps) {
        Map<String, String> status = new HashMap<>();
        tasks.forEach(t -> status.put(t.stepKey, t.status));
        java.util.Set<String> ready = new java.util.HashSet<>();
        for (TaskEntity t : tasks) {
            if (deps.getOrDefault(t.id, List.of()).stream().allMatch(d -> "SUCCEEDED".equals(status.get(d)))) {
                ready.add(t.stepKey);
            }
        }
        return ready;
    }

    private Map<Long, List<String>> dependencies(UUID cycle) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                select d.task_id, u.step_key from task_dependency d join task u on u.id = d.depends_on
                where u.cycle_id = ?1 order by d.task_id, u.id""").setParameter(1, cycle).getResultList();
        Map<Long, List<String>> out = new HashMap<>();
        for (Object[] r : rows) {
            out.computeIfAbsent(((Number) r[0]).longValue(), k -> new ArrayList<>()).add((String) r[1]);
        }
        return out;
    }

    public boolean exists(UUID id) {
        return CycleEntity.count("id", id) > 0;
    }

    /** Newest first; {@code after} is the id of the last cycle of the previous page. */
    public Page<CycleViews.CycleSummary> list(Optional<String> status, Optional<UUID> after, int limit) {
        StringBuilder q = new StringBuilder("1 = 1");
        Parameters p = new Parameters();
        status.ifPresent(s -> {
            q.append(" and status = :status");
            p.and("status", s);
        });
        if (after.isPresent()) {
            CycleEntity last = CycleEntity.findById(after.get());
            if (last != null) {
                q.append(" and (createdAt < :at or (createdAt = :at and id < :id))");
                p.and("at", last.createdAt).and("id", last.id);
            }
        }
        List<CycleEntity> rows = CycleEntity.find(q.toString(), Sort.descending("createdAt", "id"), p).page(0, limit + 1).list();
        return Page.of(rows, limit, c -> new CycleViews.CycleSummary(c.id, c.name, c.target, c.iteration, c.status, c.error,
                c.createdAt, c.finishedAt), CycleViews.CycleSummary::id);
    }

    private JsonNode parse(String text) {
        return JsonText.tree(json, text);
    }
}
