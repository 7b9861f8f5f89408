package io.cyclefleet.cycle;

import io.cyclefleet.db.Jdbc;
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
 * Moves a cycle's DAG forward after tasks finish: skips steps whose upstream failed, queues steps whose
 * dependencies all succeeded, and finishes the cycle when no task is left unfinished. Idempotent: it reads
 * everything from Postgres under the cycle's row lock, so completion notices may be lost or repeated.
 */
@ApplicationScoped
public class CycleAdvancer {

    private static final Logger LOG = Logger.getLogger(CycleAdvancer.class);

    private final DataSource ds;
    private final TaskDispatcher dispatcher;
    private final CycleMetrics metrics;
    private final GateStore gateStore;

    public CycleAdvancer(DataSource ds, TaskDispatcher dispatcher, CycleMetrics metrics, GateStore gateStore) {
        this.ds = ds;
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.gateStore = gateStore;
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
        Optional<CycleStatus> status = CycleStore.lock(c, cycle);
        if (status.isEmpty() || status.get().isTerminal()) {
            return List.of();
        }
        List<QueuedTask> promoted = new ArrayList<>();
        int gates;
        do {
            skipDownstreamOfFailures(c, cycle);
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set status = 'QUEUED', queued_at = now()
                    where t.cycle_id = ? and t.status = 'PENDING' and t.kind <> 'gate'
                      and not exists (select 1 from task_dependency d join task u on u.id = d.depends_on
                                      where d.task_id = t.id and u.status <> 'SUCCEEDED')
                    returning t.id, t.attempt, t.queue, t.priority""")) {
                ps.setObject(1, cycle);
                try (ResultSet rs = ps.executeQuery()) {
                    promoted.addAll(QueuedTask.readAll(rs));
                }
            }
            gates = gateStore.evaluateReady(c, cycle);
        } while (gates > 0);
        if (promoted.isEmpty()) {
            finishIfDone(c, cycle);
        }
        return promoted;
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

    private void finishIfDone(Connection c, UUID cycle) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select count(*) filter (where status not in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED')),
                       count(*) filter (where status = 'FAILED'),
                       string_agg(step_key, ', ' order by id) filter (where status = 'FAILED')
                from task where cycle_id = ?""")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    return;
                }
                long failed = rs.getLong(2);
                CycleStatus end = failed > 0 ? CycleStatus.FAILED : CycleStatus.SUCCEEDED;
                String error = failed > 0 ? failed + " step(s) failed: " + abbreviate(rs.getString(3)) : null;
                CycleStore.finish(c, cycle, end, error);
                metrics.finished(end);
                LOG.debugf("cycle %s finished %s", cycle, end);
            }
        }
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 500) + "…";
    }
}
