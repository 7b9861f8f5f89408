package io.cyclefleet.cycle;

import static io.cyclefleet.db.Jdbc.longs;
import static io.cyclefleet.db.Jdbc.texts;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.QueuedTask;
import io.cyclefleet.task.TaskStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** Cycle-level writes: creating a cycle with its DAG in one transaction, cancelling, finishing. */
@ApplicationScoped
public class CycleStore {

    private final DataSource ds;

    public CycleStore(DataSource ds) {
        this.ds = ds;
    }

    /** The cycle a submission resolved to; {@code created=false} when an idempotency key matched an earlier one. */
    public record Submitted(UUID id, boolean created, boolean sameSpec, List<QueuedTask> roots) {
    }

    /**
     * Writes the cycle, its tasks (roots QUEUED, the rest PENDING) and their dependencies atomically. With
     * an idempotency key already used, writes nothing and returns the earlier cycle.
     */
    public Submitted create(String name, String specJson, Optional<String> idempotencyKey, List<PlannedTask> tasks) {
        UUID id = UUID.randomUUID();
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into cycle (id, name, status, spec, idempotency_key) values (?, ?, 'ACCEPTED', ?::jsonb, ?)
                    on conflict (idempotency_key) do nothing""")) {
                ps.setObject(1, id);
                ps.setString(2, name);
                ps.setString(3, specJson);
                ps.setString(4, idempotencyKey.orElse(null));
                if (ps.executeUpdate() == 0) {
                    return earlier(c, idempotencyKey.orElseThrow(), specJson);
                }
            }
            Map<String, Long> ids = insertTasks(c, id, tasks);
            insertDependencies(c, tasks, ids);
            List<QueuedTask> roots = new ArrayList<>();
            for (PlannedTask t : tasks) {
                if (t.isRoot()) {
                    roots.add(new QueuedTask(ids.get(t.key()), 1, t.queue(), t.priority()));
                }
            }
            return new Submitted(id, true, true, roots);
        });
    }

    private static Submitted earlier(Connection c, String key, String specJson) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select id, spec = ?::jsonb from cycle where idempotency_key = ?")) {
            ps.setString(1, specJson);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Submitted(rs.getObject(1, UUID.class), false, rs.getBoolean(2), List.of());
            }
        }
    }

    private static Map<String, Long> insertTasks(Connection c, UUID cycle, List<PlannedTask> tasks) throws SQLException {
        int n = tasks.size();
        List<String> keys = new ArrayList<>(n), kinds = new ArrayList<>(n), queues = new ArrayList<>(n), prios = new ArrayList<>(n),
                params = new ArrayList<>(n), statuses = new ArrayList<>(n);
        List<Long> attempts = new ArrayList<>(n), backoffs = new ArrayList<>(n), maxBackoffs = new ArrayList<>(n), timeouts = new ArrayList<>(n);
        for (PlannedTask t : tasks) {
            keys.add(t.key());
            kinds.add(t.kind());
            queues.add(t.queue());
            prios.add(t.priority().wireName());
            params.add(t.paramsJson());
            statuses.add((t.isRoot() ? TaskStatus.QUEUED : TaskStatus.PENDING).name());
            attempts.add((long) t.retry().maxAttempts());
            backoffs.add(t.retry().backoff().toMillis());
            maxBackoffs.add(t.retry().maxBackoff().toMillis());
            timeouts.add(t.timeout().toMillis());
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into task (cycle_id, step_key, kind, queue, priority, params, status, max_attempts, backoff_ms,
                                  max_backoff_ms, timeout_ms, queued_at)
                select ?, k, kind, q, p, params::jsonb, s, a, b, mb, t, case when s = 'QUEUED' then now() end
                from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
                     as v(k, kind, q, p, params, s, a, b, mb, t)
                returning id, step_key""")) {
            ps.setObject(1, cycle);
            ps.setArray(2, texts(c, keys));
            ps.setArray(3, texts(c, kinds));
            ps.setArray(4, texts(c, queues));
            ps.setArray(5, texts(c, prios));
            ps.setArray(6, texts(c, params));
            ps.setArray(7, texts(c, statuses));
            ps.setArray(8, longs(c, attempts));
            ps.setArray(9, longs(c, backoffs));
            ps.setArray(10, longs(c, maxBackoffs));
            ps.setArray(11, longs(c, timeouts));
            Map<String, Long> ids = new HashMap<>(n * 2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.put(rs.getString(2), rs.getLong(1));
                }
            }
            return ids;
        }
    }

    private static void insertDependencies(Connection c, List<PlannedTask> tasks, Map<String, Long> ids) throws SQLException {
        List<Long> from = new ArrayList<>(), to = new ArrayList<>();
        for (PlannedTask t : tasks) {
            for (String dep : t.dependsOn()) {
                from.add(ids.get(t.key()));
                to.add(ids.get(dep));
            }
        }
        if (from.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "insert into task_dependency (task_id, depends_on) select * from unnest(?::bigint[], ?::bigint[])")) {
            ps.setArray(1, longs(c, from));
            ps.setArray(2, longs(c, to));
            ps.executeUpdate();
        }
    }

    /** ACCEPTED → RUNNING once its first tasks are on Redis. */
    public void markRunning(UUID cycle) {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update cycle set status = 'RUNNING', updated_at = now() where id = ? and status = 'ACCEPTED'")) {
                ps.setObject(1, cycle);
                return ps.executeUpdate();
            }
        });
    }

    public enum CancelResult { CANCELLED, NOT_FOUND, ALREADY_FINISHED }

    /** Cancels the cycle and every unfinished task; results that arrive later are fenced out. */
    public CancelResult cancel(UUID cycle, String reason) {
        return Jdbc.inTransaction(ds, c -> {
            Optional<CycleStatus> status = lock(c, cycle);
            if (status.isEmpty()) {
                return CancelResult.NOT_FOUND;
            }
            if (status.get().isTerminal()) {
                return CancelResult.ALREADY_FINISHED;
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    update task set status = 'CANCELLED', error = ?, finished_at = now(), lease_expires_at = null
                    where cycle_id = ? and status in ('PENDING', 'QUEUED', 'RUNNING', 'RETRY_WAIT')""")) {
                ps.setString(1, reason);
                ps.setObject(2, cycle);
                ps.executeUpdate();
            }
            finish(c, cycle, CycleStatus.CANCELLED, reason);
            return CancelResult.CANCELLED;
        });
    }

    public enum RetryResult { RESTARTED, NOT_FOUND, NOT_RETRYABLE }

    /**
     * Reruns a FAILED or CANCELLED cycle from its unfinished steps: every FAILED, SKIPPED or CANCELLED task
     * goes back to PENDING at its next attempt (a fresh fence, so nothing of the old run can write) with a
     * fresh attempt budget; SUCCEEDED tasks and their results are kept. The caller then advances the cycle.
     */
    public RetryResult retry(UUID cycle) {
        return Jdbc.inTransaction(ds, c -> {
            Optional<CycleStatus> status = lock(c, cycle);
            if (status.isEmpty()) {
                return RetryResult.NOT_FOUND;
            }
            if (status.get() != CycleStatus.FAILED && status.get() != CycleStatus.CANCELLED) {
                return RetryResult.NOT_RETRYABLE;
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    update task set status = 'PENDING', attempt = attempt + 1, max_attempts = attempt + max_attempts,
                           error = 'rerun after: ' || coalesce(error, status), result = null, metrics = null, score = null,
                           worker_id = null, lease_expires_at = null, next_run_at = null, dispatched_at = null,
                           queued_at = null, started_at = null, finished_at = null
                    where cycle_id = ? and status in ('FAILED', 'SKIPPED', 'CANCELLED')""")) {
                ps.setObject(1, cycle);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "update cycle set status = 'RUNNING', error = null, finished_at = null, updated_at = now() where id = ?")) {
                ps.setObject(1, cycle);
                ps.executeUpdate();
            }
            return RetryResult.RESTARTED;
        });
    }

    static Optional<CycleStatus> lock(Connection c, UUID cycle) throws SQLException {
        // NO KEY UPDATE: serializes advancers and cancel on the cycle without blocking the FOR KEY SHARE
        // that every timeline insert takes on it through its foreign key.
        try (PreparedStatement ps = c.prepareStatement("select status from cycle where id = ? for no key update")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(CycleStatus.valueOf(rs.getString(1))) : Optional.empty();
            }
        }
    }

    static void finish(Connection c, UUID cycle, CycleStatus status, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update cycle set status = ?, error = ?, finished_at = now(), updated_at = now() where id = ?")) {
            ps.setString(1, status.name());
            ps.setString(2, error);
            ps.setObject(3, cycle);
            ps.executeUpdate();
        }
    }

}
