package io.cyclefleet.cycle;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.incident.IncidentCause;
import io.cyclefleet.incident.IncidentStore;
import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.QueuedTask;
import io.cyclefleet.task.TaskDispatcher;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Moves a cycle's DAG forward after tasks finish: skips steps whose upstream failed, starts the rollback
 * branch when a trigger step failed, queues steps whose dependencies all succeeded (holding back those that
 * wait for an approval), evaluates ready gates, and finishes the cycle when no task is left unfinished —
 * opening an incident after a rollback and scheduling the next iteration after a success below goal. Idempotent: it reads
 * everything from Postgres under the cycle's row lock, so completion notices may be lost or repeated.
 */
@ApplicationScoped
public class CycleAdvancer {

    private static final Logger LOG = Logger.getLogger(CycleAdvancer.class);

    private final DataSource ds;
    private final TaskDispatcher dispatcher;
    private final CycleMetrics metrics;
    private final GateStore gateStore;
    private final IterationScheduler iterations;
    private final IncidentStore incidents;

    public CycleAdvancer(DataSource ds, TaskDispatcher dispatcher, CycleMetrics metrics, GateStore gateStore,
                         IterationScheduler iterations, IncidentStore incidents) {
        this.ds = ds;
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.gateStore = gateStore;
        this.iterations = iterations;
        this.incidents = incidents;
    }

    public void advance(Collection<UUID> cycles) {
        // sorted, one short transaction each: two orchestrators advancing overlapping sets never deadlock
        for (UUID id : new TreeSet<>(cycles)) {
            try {
                List<QueuedTask> promoted = Jdbc.inTransaction(ds, c -> advance(c, id));
                dispatcher.dispatch(promoted);
            } catch (RuntimeException e) {
                // one cycle's failure must not drop the others' notices; the stalled sweep retries it
                LOG.warnf("could not advance cycle %s: %s", id, e.toString());
            }
        }
    }

    private List<QueuedTask> advance(Connection c, UUID cycle) throws SQLException {
        Optional<CycleStore.Locked> locked = CycleStore.lock(c, cycle);
        if (locked.isEmpty() || locked.get().status().isTerminal() || locked.get().status() == CycleStatus.WAITING_FOR_TARGET) {
            return List.of(); // a cycle waiting for its target moves once the reconciler hands it the target's lease
        }
        boolean rollingBack = locked.get().rollingBack();
        List<QueuedTask> promoted = new ArrayList<>();
        int gates;
        do {
            skipDownstreamOfFailures(c, cycle);
            if (!rollingBack) {
                rollingBack = startRollbackIfNeeded(c, cycle);
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set status = 'QUEUED', queued_at = now()
                    where t.cycle_id = ? and t.status = 'PENDING' and t.kind <> 'gate'
                      and (t.branch = 'main' or ?)
                      and (not t.needs_approval or t.approved_at is not null)
                      and not exists (select 1 from task_dependency d join task u on u.id = d.depends_on
                                      where d.task_id = t.id and u.status <> 'SUCCEEDED')
                    returning t.id, t.attempt, t.queue, t.priority, t.kind""")) {
                ps.setObject(1, cycle);
                ps.setBoolean(2, rollingBack);
                try (ResultSet rs = ps.executeQuery()) {
                    promoted.addAll(QueuedTask.readAll(rs));
                }
            }
            gates = gateStore.evaluateReady(c, cycle);
        } while (gates > 0);
        updateApprovalWait(c, cycle, locked.get().status());
        if (promoted.isEmpty()) {
            finishIfDone(c, cycle, rollingBack, locked.get());
        }
        return promoted;
    }

    /**
     * Starts the rollback branch when a trigger step (deploy, verify, a gate after the deploy) failed, or when any
     * other main step failed after a deployment had started (a trigger that was skipped because an earlier step
     * failed, a step after the deploy that is not a trigger): every path out of a deployed cycle rolls back. The
     * main DAG stops (see {@link CycleStore#startRollback}).
     */
    private boolean startRollbackIfNeeded(Connection c, UUID cycle) throws SQLException {
        Optional<String> trigger = firstFailure(c, cycle, true);
        if (trigger.isPresent()) {
            start(c, cycle, CycleStore.RollbackStart.TRIGGER, trigger.get());
            return true;
        }
        Optional<String> failure = firstFailure(c, cycle, false);
        if (failure.isPresent() && CycleStore.deployed(c, cycle) && CycleStore.hasRollbackBranch(c, cycle)) {
            start(c, cycle, CycleStore.RollbackStart.FAILURE, failure.get() + " (after a deployment started)");
            return true;
        }
        return false;
    }

    private static void start(Connection c, UUID cycle, CycleStore.RollbackStart by, String cause) throws SQLException {
        CycleStore.startRollback(c, cycle, by, cause);
        LOG.infof("cycle %s: rollback started (%s)", cycle, cause);
    }

    /** "kind step key failed: error" of the first main step that FAILED (only triggers when {@code triggers}). */
    private static Optional<String> firstFailure(Connection c, UUID cycle, boolean triggers) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select kind || ' step ' || step_key || ' failed: ' || left(coalesce(error, status), 1000) from task
                where cycle_id = ? and branch = 'main' and status = 'FAILED' and (triggers_rollback or not ?)
                order by finished_at, id limit 1""")) {
            ps.setObject(1, cycle);
            ps.setBoolean(2, triggers);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** AWAITING_APPROVAL while a ready step waits for an operator, RUNNING again once none does. */
    private static void updateApprovalWait(Connection c, UUID cycle, CycleStatus status) throws SQLException {
        boolean waiting;
        try (PreparedStatement ps = c.prepareStatement("""
                select exists (select 1 from task t
                               where t.cycle_id = ? and t.status = 'PENDING' and t.needs_approval and t.approved_at is null
                                 and not exists (select 1 from task_dependency d join task u on u.id = d.depends_on
                                                 where d.task_id = t.id and u.status <> 'SUCCEEDED'))""")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                waiting = rs.getBoolean(1);
            }
        }
        CycleStatus next = waiting ? CycleStatus.AWAITING_APPROVAL
                : status == CycleStatus.AWAITING_APPROVAL ? CycleStatus.RUNNING : status;
        if (next != status) {
            try (PreparedStatement ps = c.prepareStatement("update cycle set status = ?, updated_at = now() where id = ?")) {
                ps.setString(1, next.name());
                ps.setObject(2, cycle);
                ps.executeUpdate();
            }
        }
    }

    private static void skipDownstreamOfFailures(Connection c, UUID cycle) throws SQLException {
        int skipped;
        do {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set status = 'SKIPPED', finished_at = now(),
                           error = 'upstream step ' || u.step_key || ' ended ' || u.status
                    from task_dependency d join task u on u.id = d.depends_on
                    where t.cycle_id = ? and t.status = 'PENDING' and d.task_id = t.id
                      and u.status in ('FAILED', 'SKIPPED', 'CANCELLED')""")) {
                ps.setObject(1, cycle);
                skipped = ps.executeUpdate();
            }
        } while (skipped > 0);
    }

    private void finishIfDone(Connection c, UUID cycle, boolean rollingBack, CycleStore.Locked locked) throws SQLException {
        long failed;
        String failedSteps;
        String rollbackFailures;
        try (PreparedStatement ps = c.prepareStatement("""
                select count(*) filter (where status not in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED') and (branch = 'main' or ?)),
                       count(*) filter (where status = 'FAILED' and branch = 'main'),
                       string_agg(step_key, ', ' order by id) filter (where status = 'FAILED' and branch = 'main'),
                       string_agg(step_key || ' ' || status, ', ' order by id) filter (where status <> 'SUCCEEDED' and branch = 'rollback')
                from task where cycle_id = ?""")) {
            ps.setBoolean(1, rollingBack);
            ps.setObject(2, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    return;
                }
                failed = rs.getLong(2);
                failedSteps = rs.getString(3);
                rollbackFailures = rs.getString(4);
            }
        }
        CycleStatus end;
        if (!rollingBack) {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task set status = 'SKIPPED', finished_at = now(), error = 'not run: no rollback was needed'
                    where cycle_id = ? and branch = 'rollback' and status = 'PENDING'""")) {
                ps.setObject(1, cycle);
                ps.executeUpdate();
            }
            end = failed > 0 ? CycleStatus.FAILED : CycleStatus.SUCCEEDED;
            CycleStore.finish(c, cycle, end, failed > 0 ? failed + " step(s) failed: " + abbreviate(failedSteps) : null);
            if (end == CycleStatus.SUCCEEDED) {
                iterations.scheduleIfBelowGoal(c, cycle);
            } else if (CycleStore.deployed(c, cycle)) {
                // a deployment started and there is no rollback branch to undo it
                incidents.open(c, cycle, IncidentCause.DEPLOYMENT_NOT_ROLLED_BACK);
            } else if (locked.incidentOnFailure()) {
                incidents.open(c, cycle, IncidentCause.CYCLE_FAILED);
            }
        } else {
            boolean recovered = rollbackFailures == null;
            CycleStore.RollbackStart by = locked.startedBy();
            // MTTR measures recovery from a failure; an operator's cancel is not one
            Long mttrMs = finishRollback(c, cycle, recovered && by != CycleStore.RollbackStart.OPERATOR);
            end = recovered ? CycleStatus.ROLLED_BACK : CycleStatus.FAILED;
            CycleStore.finish(c, cycle, end, !recovered ? "rollback failed: " + abbreviate(rollbackFailures)
                    : switch (by) {
                        case OPERATOR -> "cancelled after a deployment started; rolled back";
                        case DEADLINE -> "deadline exceeded after a deployment started; rolled back";
                        default -> "rolled back; MTTR " + mttrMs + " ms";
                    });
            if (recovered) {
                incidents.resolveRecovered(c, cycle);
            }
            if (!recovered) {
                incidents.open(c, cycle, IncidentCause.ROLLBACK_FAILED);
            } else if (by == CycleStore.RollbackStart.DEADLINE) {
                incidents.open(c, cycle, IncidentCause.DEADLINE_EXCEEDED);
            } else if (by != CycleStore.RollbackStart.OPERATOR) {
                incidents.open(c, cycle, IncidentCause.DEPLOYMENT_ROLLED_BACK);
            }
            metrics.rollback(recovered, mttrMs);
        }
        metrics.finished(end);
        LOG.debugf("cycle %s finished %s", cycle, end);
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
