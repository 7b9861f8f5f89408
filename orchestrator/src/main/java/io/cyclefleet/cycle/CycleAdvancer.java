package io.cyclefleet.cycle;

import static io.cyclefleet.db.Jdbc.longs;
import static io.cyclefleet.db.Jdbc.texts;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.incident.IncidentCause;
import io.cyclefleet.incident.IncidentStore;
import io.cyclefleet.queue.QueuedTask;
import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.TaskStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Moves cycles' DAGs forward after tasks finish. It locks a batch of cycles, reads each in one snapshot, lets
 * {@link AdvanceRules} decide (skips, rollback start, queued steps, gate verdicts, approval wait, the end), and writes
 * the decisions: the skips and queued steps of the whole batch in one statement each, the rarer moves cycle by cycle,
 * then finishes the cycles that are over — opening an incident after a rollback and scheduling the next iteration
 * after a success below goal. Idempotent: everything is read from Postgres under the cycles' row locks, so completion
 * notices may be lost or repeated.
 */
@ApplicationScoped
public class CycleAdvancer {

    private static final Logger LOG = Logger.getLogger(CycleAdvancer.class);

    /** Cycles advanced in one transaction: one commit and two statements for the routine moves of all of them. */
    static final int BATCH = 200;
    private static final int DISPATCH_SLICE = 500;

    /**
     * Locks the cycles and tells which need a snapshot: those with a step waiting (PENDING), a failure, an approval
     * wait, or nothing left under way. A fan-out whose leaves are all queued or running has nothing to decide, and
     * reading its thousand steps on every completion would cost more than running them.
     */
    private static final String LOCK = """
            select c.id, c.status, c.failure_detected_at is not null, c.rollback_started_by, c.incident_on_failure,
                   exists (select 1 from deployment_intent i where i.cycle_id = c.id and i.action = 'deploy'),
                   c.status = '%s' or exists (select 1 from task t where t.cycle_id = c.id and t.status in ('%s', '%s'))
                   or not exists (select 1 from task t where t.cycle_id = c.id and t.status in ('%s', '%s', '%s')),
                   -- still ACCEPTED though a task of it was claimed: its first tasks were on Redis before it was recorded.
                   -- OFFSET 0 keeps the planner from hashing every started task of the table once per batch instead of
                   -- probing the cycle's own (QueryPlanTest)
                   case when c.status = '%s' then exists (select 1 from task t where t.cycle_id = c.id and t.started_at is not null
                                                            offset 0) end
            from cycle c where c.id = any(?) order by c.id for no key update""".formatted(CycleStatus.AWAITING_APPROVAL,
            TaskStatus.PENDING, TaskStatus.FAILED, TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.RETRY_WAIT, CycleStatus.ACCEPTED);

    // the upstream of PENDING steps only: no rule looks at another's, and a fan-out's leaves are mostly running
    private static final String STEPS = """
            select t.cycle_id, t.id, t.step_key, t.kind, t.status, t.branch = 'main', t.needs_approval, t.approved_at is not null,
                   t.triggers_rollback,
                   case when t.status = '%s' then t.kind || ' step ' || t.step_key || ' failed: ' || left(coalesce(t.error, t.status), 1000) end,
                   t.finished_at,
                   case when t.status = '%s' then array(select d.depends_on from task_dependency d where d.task_id = t.id order by 1) end
            from task t where t.cycle_id = any(?) order by t.cycle_id, t.id""".formatted(TaskStatus.FAILED, TaskStatus.PENDING);

    // (status = ...) IS TRUE: the rows by primary key, never a partial index's full scan (see TaskStore)
    static final String SKIP = """
            update task t set status = '%s', finished_at = now(), error = v.reason
            from unnest(?::bigint[], ?::text[]) as v(id, reason) where t.id = v.id and (t.status = '%s') is true""".formatted(
            TaskStatus.SKIPPED, TaskStatus.PENDING);

    // clock_timestamp(): the timeline shows a promotion at queued_at, after what this transaction recorded before it
    static final String QUEUE = """
            update task t set status = '%s', queued_at = clock_timestamp() from unnest(?::bigint[]) as v(id)
            where t.id = v.id and (t.status = '%s') is true
            returning t.id, t.attempt, t.queue, t.priority, t.kind""".formatted(TaskStatus.QUEUED, TaskStatus.PENDING);

    private final DataSource ds;
    private final DispatchMarks marks;
    private final CycleMetrics metrics;
    private final GateStore gateStore;
    private final IterationScheduler iterations;
    private final IncidentStore incidents;

    public CycleAdvancer(DataSource ds, DispatchMarks marks, CycleMetrics metrics, GateStore gateStore,
                         IterationScheduler iterations, IncidentStore incidents) {
        this.ds = ds;
        this.marks = marks;
        this.metrics = metrics;
        this.gateStore = gateStore;
        this.iterations = iterations;
        this.incidents = incidents;
    }

    /** What one transaction queued, and what to count once it committed. */
    private record Advanced(List<QueuedTask> queued, List<Runnable> afterCommit) {
    }

    public void advance(Collection<UUID> cycles) {
        // sorted and locked in that order: two orchestrators advancing overlapping sets never deadlock
        List<UUID> sorted = new ArrayList<>(new TreeSet<>(cycles));
        for (int i = 0; i < sorted.size(); i += BATCH) {
            List<UUID> batch = sorted.subList(i, Math.min(sorted.size(), i + BATCH));
            try {
                advanceAndDispatch(batch);
            } catch (RuntimeException e) {
                if (batch.size() == 1) {
                    // the stalled sweep retries it
                    LOG.warnf("could not advance cycle %s: %s", batch.get(0), e.toString());
                    continue;
                }
                // one cycle's failure must not hold up the others: each on its own
                LOG.debugf("advancing %d cycles together failed (%s); advancing them one by one", batch.size(), e.toString());
                for (UUID id : batch) {
                    try {
                        advanceAndDispatch(List.of(id));
                    } catch (RuntimeException single) {
                        LOG.warnf("could not advance cycle %s: %s", id, single.toString());
                    }
                }
            }
        }
    }

    private void advanceAndDispatch(List<UUID> batch) {
        Advanced done = Jdbc.inTransaction(ds, c -> advance(c, batch));
        done.afterCommit().forEach(Runnable::run);
        // in slices: workers start on the first while the next is sent, and no dispatch mark locks thousands of rows
        List<QueuedTask> queued = done.queued();
        for (int i = 0; i < queued.size(); i += DISPATCH_SLICE) {
            marks.dispatch(queued.subList(i, Math.min(queued.size(), i + DISPATCH_SLICE)));
        }
    }

    private Advanced advance(Connection c, List<UUID> batch) throws SQLException {
        Advanced out = new Advanced(new ArrayList<>(), new ArrayList<>());
        Map<Long, String> skipped = new LinkedHashMap<>();
        List<Long> queued = new ArrayList<>();
        for (CycleSnapshot cycle : snapshots(c, batch)) {
            AdvanceRules.Decision d = AdvanceRules.decide(cycle, gate -> gateStore.judge(c, gate.id()), true);
            if (d.gates().isEmpty() && d.rollback().isEmpty() && d.approval().isEmpty() && d.ending().isEmpty()) {
                skipped.putAll(d.skipped()); // routine: written with the rest of the batch
                queued.addAll(d.queued());
            } else {
                advanceRarely(c, cycle, d, out);
            }
        }
        skip(c, skipped);
        out.queued().addAll(queue(c, queued));
        return out;
    }

    /** A cycle whose decision judges a gate, starts its rollback, changes its approval wait or ends it. */
    private void advanceRarely(Connection c, CycleSnapshot cycle, AdvanceRules.Decision d, Advanced out) throws SQLException {
        write(c, cycle, d, out);
        if (d.rollback().isPresent()) {
            AdvanceRules.RollbackStart start = d.rollback().get();
            CycleStore.startRollback(c, cycle.id(), start.by(), start.cause());
            LOG.infof("cycle %s: rollback started (%s)", cycle.id(), start.cause());
            cycle = snapshots(c, List.of(cycle.id())).get(0);
            d = AdvanceRules.decide(cycle, gate -> gateStore.judge(c, gate.id()), d.queued().isEmpty());
            write(c, cycle, d, out);
        }
        if (d.approval().isPresent()) {
            try (PreparedStatement ps = c.prepareStatement("update cycle set status = ?, updated_at = now() where id = ?")) {
                ps.setString(1, d.approval().get().name());
                ps.setObject(2, cycle.id());
                ps.executeUpdate();
            }
        }
        if (d.ending().isPresent()) {
            finish(c, cycle, d.ending().get(), out);
        }
    }

    private void write(Connection c, CycleSnapshot cycle, AdvanceRules.Decision d, Advanced out) throws SQLException {
        skip(c, d.skipped());
        out.queued().addAll(queue(c, d.queued()));
        for (AdvanceRules.GateVerdict verdict : d.gates()) {
            gateStore.record(c, cycle.id(), verdict.gate().id(), verdict.gate().key(), verdict.evaluation());
        }
    }

    /**
     * Locks the cycles (in id order) and reads the snapshot of each that may move: not finished, not waiting for its
     * target (it moves once the reconciler hands it the target's lease), something to decide.
     */
    private static List<CycleSnapshot> snapshots(Connection c, List<UUID> ids) throws SQLException {
        Map<UUID, CycleSnapshot> cycles = new LinkedHashMap<>();
        List<UUID> accepted = new ArrayList<>();
        // NO KEY UPDATE: serializes advancers and cancel on the cycle without blocking the FOR KEY SHARE
        // that every task insert takes on it through its foreign key.
        try (PreparedStatement ps = c.prepareStatement(LOCK)) {
            ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID id = rs.getObject(1, UUID.class);
                    CycleStatus status = CycleStatus.valueOf(rs.getString(2));
                    if (rs.getBoolean(8)) {
                        accepted.add(id);
                        status = CycleStatus.RUNNING;
                    }
                    if (rs.getBoolean(7) && !status.isTerminal() && status != CycleStatus.WAITING_FOR_TARGET) {
                        cycles.put(id, new CycleSnapshot(id, status, rs.getBoolean(3), CycleStore.RollbackStart.of(rs.getString(4)),
                                rs.getBoolean(5), rs.getBoolean(6), new ArrayList<>()));
                    }
                }
            }
        }
        CycleStore.markRunning(c, accepted);
        if (cycles.isEmpty()) {
            return List.of();
        }
        try (PreparedStatement ps = c.prepareStatement(STEPS)) {
            ps.setArray(1, c.createArrayOf("uuid", cycles.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp finished = rs.getTimestamp(11);
                    Array upstream = rs.getArray(12);
                    cycles.get(rs.getObject(1, UUID.class)).steps().add(new CycleSnapshot.Step(rs.getLong(2), rs.getString(3),
                            rs.getString(4), TaskStatus.valueOf(rs.getString(5)), rs.getBoolean(6), rs.getBoolean(7), rs.getBoolean(8),
                            rs.getBoolean(9), rs.getString(10), finished == null ? null : finished.toInstant(),
                            upstream == null ? List.of() : Arrays.asList((Long[]) upstream.getArray())));
                }
            }
        }
        return new ArrayList<>(cycles.values());
    }

    private static void skip(Connection c, Map<Long, String> skipped) throws SQLException {
        if (skipped.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(SKIP)) {
            ps.setArray(1, longs(c, skipped.keySet()));
            ps.setArray(2, texts(c, skipped.values()));
            ps.executeUpdate();
        }
    }

    private static List<QueuedTask> queue(Connection c, List<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return List.of();
        }
        try (PreparedStatement ps = c.prepareStatement(QUEUE)) {
            ps.setArray(1, longs(c, ids));
            try (ResultSet rs = ps.executeQuery()) {
                return QueuedTask.readAll(rs);
            }
        }
    }

    /** Ends a cycle with nothing left to run: how depends on whether it rolled back, and how that went. */
    private void finish(Connection c, CycleSnapshot cycle, AdvanceRules.Ending ending, Advanced out) throws SQLException {
        UUID id = cycle.id();
        long failed = ending.failedMainSteps();
        String failedSteps = ending.failedSteps();
        String rollbackFailures = ending.rollbackFailures();
        boolean rollingBack = cycle.rollingBack();
        CycleStatus end;
        if (!rollingBack) {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task set status = '%s', finished_at = now(), error = 'not run: no rollback was needed'
                    where cycle_id = ? and branch = 'rollback' and status = '%s'""".formatted(TaskStatus.SKIPPED, TaskStatus.PENDING))) {
                ps.setObject(1, id);
                ps.executeUpdate();
            }
            end = failed > 0 ? CycleStatus.FAILED : CycleStatus.SUCCEEDED;
            CycleStore.finish(c, id, end, failed > 0 ? failed + " step(s) failed: " + abbreviate(failedSteps) : null);
            if (end == CycleStatus.SUCCEEDED) {
                iterations.scheduleIfBelowGoal(c, id);
            } else if (cycle.deployed()) {
                // a deployment started and there is no rollback branch to undo it
                incidents.open(c, id, IncidentCause.DEPLOYMENT_NOT_ROLLED_BACK);
            } else if (cycle.incidentOnFailure()) {
                incidents.open(c, id, IncidentCause.CYCLE_FAILED);
            }
        } else {
            boolean recovered = rollbackFailures == null;
            CycleStore.RollbackStart by = cycle.startedBy();
            // MTTR measures recovery from a failure; an operator's cancel is not one
            Long mttrMs = finishRollback(c, id, recovered && by != CycleStore.RollbackStart.OPERATOR);
            end = recovered ? CycleStatus.ROLLED_BACK : CycleStatus.FAILED;
            CycleStore.finish(c, id, end, !recovered ? "rollback failed: " + abbreviate(rollbackFailures)
                    : switch (by) {
                        case OPERATOR -> "cancelled after a deployment started; rolled back";
                        case DEADLINE -> "deadline exceeded after a deployment started; rolled back";
                        default -> "rolled back; MTTR " + mttrMs + " ms";
                    });
            if (recovered) {
                incidents.resolveRecovered(c, id);
            }
            if (!recovered) {
                incidents.open(c, id, IncidentCause.ROLLBACK_FAILED);
            } else if (by == CycleStore.RollbackStart.DEADLINE) {
                incidents.open(c, id, IncidentCause.DEADLINE_EXCEEDED);
            } else if (by != CycleStore.RollbackStart.OPERATOR) {
                incidents.open(c, id, IncidentCause.DEPLOYMENT_ROLLED_BACK);
            }
            out.afterCommit().add(() -> metrics.rollback(recovered, mttrMs));
        }
        CycleStatus ended = end;
        out.afterCommit().add(() -> metrics.finished(ended));
        LOG.debugf("cycle %s finished %s", id, end);
    }

    /** Records the end of the rollback and, when it worked, the time from failure detection to rollback verified. */
    private static Long finishRollback(Connection c, UUID cycle, boolean recovered) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update cycle set rollback_finished_at = now(),
                       mttr_ms = case when ? then (extract(epoch from now() - failure_detected_at) * 1000)::bigint end
                where id = ? returning mttr_ms""")) {
            ps.setBoolean(1, recovered);
            ps.setObject(2, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long mttr = rs.getLong(1);
                return rs.wasNull() ? null : mttr;
            }
        }
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 500) + "…";
    }
}
