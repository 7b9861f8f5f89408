package io.cyclefleet.task;

import static io.cyclefleet.db.Jdbc.ints;
import static io.cyclefleet.db.Jdbc.longs;
import static io.cyclefleet.db.Jdbc.texts;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.queue.Delivery;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Every task state change that workers and orchestrators make, as set-based SQL. Each write is
 * conditional on the expected status and attempt (the fencing token), so a duplicate delivery or a late
 * result from a worker that lost its lease changes nothing; such rejections are recorded in the timeline.
 */
@ApplicationScoped
public class TaskStore {

    private static final String CLAIM = """
            with v as (select * from unnest(?::bigint[], ?::int[]) as v(id, attempt)),
            claimed as (
                update task t set status = 'RUNNING', worker_id = ?, started_at = now(), error = null,
                       lease_expires_at = now() + make_interval(secs => ?)
                from v where t.id = v.id and t.attempt = v.attempt and t.status = 'QUEUED'
                returning t.id, t.attempt, t.cycle_id, t.step_key, t.kind, t.params::text, t.timeout_ms,
                          t.max_attempts, t.backoff_ms, t.max_backoff_ms, t.queue, t.priority,
                          (extract(epoch from now() - t.queued_at) * 1000)::bigint),
            rejected as (
                insert into cycle_event (cycle_id, task_id, type, attempt, worker_id, detail)
                select t.cycle_id, t.id, 'task.delivery_rejected', v.attempt, ?,
                       'stale or duplicate delivery of attempt ' || v.attempt || ': task is ' || t.status
                       || ' at attempt ' || t.attempt
                from v join task t on t.id = v.id
                where not exists (select 1 from claimed c where c.id = v.id))
            select * from claimed
            """;

    private static final String COMPLETE = """
            with v as (select * from unnest(?::bigint[], ?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::float8[])
                       as v(id, attempt, status, result, error, next_run_at, metrics, score)),
            done as (
                update task t set status = v.status, result = v.result::jsonb, error = v.error,
                       metrics = v.metrics::jsonb, score = v.score,
                       next_run_at = v.next_run_at::timestamptz, lease_expires_at = null,
                       finished_at = case when v.status in ('SUCCEEDED', 'FAILED') then now() end
                from v where t.id = v.id and t.attempt = v.attempt and t.status = 'RUNNING' and t.worker_id = ?
                returning t.id, t.cycle_id),
            rejected as (
                insert into cycle_event (cycle_id, task_id, type, attempt, worker_id, detail)
                select t.cycle_id, t.id, 'task.result_rejected', v.attempt, ?,
                       'result ' || v.status || ' of attempt ' || v.attempt || ' rejected: task is ' || t.status
                       || ' at attempt ' || t.attempt || coalesce(' held by ' || t.worker_id, '')
                from v join task t on t.id = v.id
                where not exists (select 1 from done d where d.id = v.id)
                returning task_id)
            select id, cycle_id from done
            """;

    private final DataSource ds;

    public TaskStore(DataSource ds) {
        this.ds = ds;
    }

    // ---- worker side -------------------------------------------------------------------------------

    /** Takes the lease of every delivery still QUEUED at its attempt; the rest are recorded as rejected. */
    public List<ClaimedTask> claim(String workerId, List<Delivery> deliveries, Duration lease) {
        if (deliveries.isEmpty()) {
            return List.of();
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
                ps.setArray(1, longs(c, deliveries.stream().map(Delivery::taskId).toList()));
                ps.setArray(2, ints(c, deliveries.stream().map(Delivery::attempt).toList()));
                ps.setString(3, workerId);
                ps.setDouble(4, lease.toMillis() / 1000.0);
                ps.setString(5, workerId);
                List<ClaimedTask> out = new ArrayList<>(deliveries.size());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new ClaimedTask(rs.getLong(1), rs.getInt(2), rs.getObject(3, UUID.class), rs.getString(4),
                                rs.getString(5), rs.getString(6), Duration.ofMillis(rs.getLong(7)),
                                new RetryPolicy(rs.getInt(8), Duration.ofMillis(rs.getLong(9)), Duration.ofMillis(rs.getLong(10))),
                                rs.getString(11), Priority.fromWire(rs.getString(12)), Duration.ofMillis(Math.max(0, rs.getLong(13)))));
                    }
                }
                return out;
            }
        });
    }

    /** Result of a batch of completions: the rows written and the cycles they belong to. */
    public record Completion(Set<Long> accepted, Set<UUID> cycles) {
    }

    /** Writes outcomes fenced by (status RUNNING, attempt, worker); rejected ones land in the timeline. */
    public Completion complete(String workerId, List<TaskOutcome> outcomes) {
        if (outcomes.isEmpty()) {
            return new Completion(Set.of(), Set.of());
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(COMPLETE)) {
                ps.setArray(1, longs(c, outcomes.stream().map(TaskOutcome::taskId).toList()));
                ps.setArray(2, ints(c, outcomes.stream().map(TaskOutcome::attempt).toList()));
                ps.setArray(3, texts(c, outcomes.stream().map(o -> o.status().name()).toList()));
                ps.setArray(4, texts(c, outcomes.stream().map(TaskOutcome::resultJson).toList()));
                ps.setArray(5, texts(c, outcomes.stream().map(TaskOutcome::error).toList()));
                ps.setArray(6, texts(c, outcomes.stream().map(o -> o.nextRunAt() == null ? null : o.nextRunAt().toString()).toList()));
                ps.setArray(7, texts(c, outcomes.stream().map(TaskOutcome::metricsJson).toList()));
                ps.setArray(8, c.createArrayOf("float8", outcomes.stream().map(TaskOutcome::score).toArray(Double[]::new)));
                ps.setString(9, workerId);
                ps.setString(10, workerId);
                Set<Long> accepted = new HashSet<>();
                Set<UUID> cycles = new LinkedHashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        accepted.add(rs.getLong(1));
                        cycles.add(rs.getObject(2, UUID.class));
                    }
                }
                return new Completion(accepted, cycles);
            }
        });
    }

    /**
     * Extends the leases of exactly the attempts this worker is running (not every row that names it: a
     * row it claimed but lost track of must expire and be redelivered). Returns the attempts it still holds.
     */
    public Set<TaskAttempt> extendLeases(String workerId, Collection<TaskAttempt> running, Duration lease) {
        if (running.isEmpty()) {
            return Set.of();
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set lease_expires_at = now() + make_interval(secs => ?)
                    from unnest(?::bigint[], ?::int[]) as v(id, attempt)
                    where t.id = v.id and t.attempt = v.attempt and t.worker_id = ? and t.status = 'RUNNING'
                    returning t.id, t.attempt""")) {
                ps.setDouble(1, lease.toMillis() / 1000.0);
                ps.setArray(2, longs(c, running.stream().map(TaskAttempt::id).toList()));
                ps.setArray(3, ints(c, running.stream().map(TaskAttempt::attempt).toList()));
                ps.setString(4, workerId);
                Set<TaskAttempt> held = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        held.add(new TaskAttempt(rs.getLong(1), rs.getInt(2)));
                    }
                }
                return held;
            }
        });
    }

    /**
     * Gives tasks back to the queue at once (graceful drain). A task that never started keeps its attempt;
     * one interrupted mid-run moves to the next attempt so that a late result of the old run is fenced out,
     * and its attempt budget grows by the same one: a drain is not a failure of the task.
     */
    public List<QueuedTask> handBack(String workerId, Collection<ClaimedTask> tasks, boolean started, String reason) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set status = 'QUEUED', attempt = t.attempt + ?, max_attempts = t.max_attempts + ?,
                           worker_id = null, lease_expires_at = null,
                           dispatched_at = null, queued_at = now(), error = ?
                    from unnest(?::bigint[], ?::int[]) as v(id, attempt)
                    where t.id = v.id and t.attempt = v.attempt and t.status = 'RUNNING' and t.worker_id = ?
                    returning t.id, t.attempt, t.queue, t.priority, t.kind""")) {
                ps.setInt(1, started ? 1 : 0);
                ps.setInt(2, started ? 1 : 0);
                ps.setString(3, reason);
                ps.setArray(4, longs(c, tasks.stream().map(ClaimedTask::id).toList()));
                ps.setArray(5, ints(c, tasks.stream().map(ClaimedTask::attempt).toList()));
                ps.setString(6, workerId);
                return queued(ps);
            }
        });
    }

    // ---- orchestrator side ---------------------------------------------------------------------------

    public void markDispatched(Collection<QueuedTask> tasks) {
        if (tasks.isEmpty()) {
            return;
        }
        Jdbc.inTransaction(ds, c -> {
            // SKIP LOCKED: a row a worker is claiming right now needs no mark, and never waiting on
            // another transaction's row lock means this statement can never be part of a deadlock.
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set dispatched_at = now()
                    where t.id in (select x.id from task x join unnest(?::bigint[], ?::int[]) as v(id, attempt)
                                     on x.id = v.id and x.attempt = v.attempt
                                   where x.status = 'QUEUED' order by x.id for update skip locked)""")) {
                ps.setArray(1, longs(c, tasks.stream().map(QueuedTask::id).toList()));
                ps.setArray(2, ints(c, tasks.stream().map(QueuedTask::attempt).toList()));
                return ps.executeUpdate();
            }
        });
    }

    /** QUEUED tasks whose message is not known to be on Redis (crash between commit and XADD, or Redis lost it). */
    public List<QueuedTask> undispatched(Duration olderThan, int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select id, attempt, queue, priority, kind from task
                    where status = 'QUEUED' and dispatched_at is null and queued_at < now() - make_interval(secs => ?)
                    order by queued_at limit ?""")) {
                ps.setDouble(1, olderThan.toMillis() / 1000.0);
                ps.setInt(2, limit);
                return queued(ps);
            }
        });
    }

    /**
     * QUEUED tasks sent long ago and still not claimed, re-stamped as sent now. Covers a message lost
     * without the whole dataset going (a failover that dropped recent writes, a bug): the resend is a
     * duplicate at worst, which the attempt fence rejects.
     */
    public List<QueuedTask> staleDispatches(Duration olderThan, int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set dispatched_at = now()
                    where t.id in (select id from task where status = 'QUEUED' and dispatched_at < now() - make_interval(secs => ?)
                                   order by dispatched_at limit ? for update skip locked)
                    returning t.id, t.attempt, t.queue, t.priority, t.kind""")) {
                ps.setDouble(1, olderThan.toMillis() / 1000.0);
                ps.setInt(2, limit);
                return queued(ps);
            }
        });
    }

    /** After Redis lost its data: every QUEUED task must be sent again. */
    public int forgetDispatches() {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update task set dispatched_at = null where status = 'QUEUED' and dispatched_at is not null")) {
                return ps.executeUpdate();
            }
        });
    }

    /** Moves due RETRY_WAIT tasks to their next attempt, QUEUED. */
    public List<QueuedTask> promoteDueRetries(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set status = 'QUEUED', attempt = t.attempt + 1, queued_at = now(), dispatched_at = null,
                           next_run_at = null, worker_id = null
                    where t.id in (select id from task where status = 'RETRY_WAIT' and next_run_at <= now()
                                   order by next_run_at limit ? for update skip locked)
                    returning t.id, t.attempt, t.queue, t.priority, t.kind""")) {
                ps.setInt(1, limit);
                return queued(ps);
            }
        });
    }

    /** Tasks whose lease expired: their worker died or stopped heartbeating. */
    public record Expired(List<QueuedTask> requeued, Set<UUID> cyclesWithFailures) {
    }

    /** Redelivers tasks whose lease expired at the next attempt, or fails those out of attempts. */
    public Expired expireLeases(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set
                        status = case when t.attempt < t.max_attempts then 'QUEUED' else 'FAILED' end,
                        attempt = case when t.attempt < t.max_attempts then t.attempt + 1 else t.attempt end,
                        error = 'lease expired: worker ' || coalesce(t.worker_id, '?') || ' stopped heartbeating during attempt ' || t.attempt,
                        queued_at = now(), dispatched_at = null, lease_expires_at = null,
                        finished_at = case when t.attempt < t.max_attempts then null else now() end
                    where t.id in (select id from task where status = 'RUNNING' and lease_expires_at < now()
                                   order by lease_expires_at limit ? for update skip locked)
                    returning t.id, t.attempt, t.queue, t.priority, t.kind, t.status, t.cycle_id""")) {
                ps.setInt(1, limit);
                List<QueuedTask> requeued = new ArrayList<>();
                Set<UUID> failed = new LinkedHashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if ("QUEUED".equals(rs.getString(6))) {
                            requeued.add(QueuedTask.read(rs));
                        } else {
                            failed.add(rs.getObject(7, UUID.class));
                        }
                    }
                }
                return new Expired(requeued, failed);
            }
        });
    }

    /** Status and attempt of each task, to judge orphaned stream entries. */
    public record State(long id, TaskStatus status, int attempt, String queue, Priority priority, String kind) {
    }

    public List<State> states(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select id, status, attempt, queue, priority, kind from task where id = any(?::bigint[])")) {
                ps.setArray(1, longs(c, ids));
                List<State> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new State(rs.getLong(1), TaskStatus.valueOf(rs.getString(2)), rs.getInt(3),
                                rs.getString(4), Priority.fromWire(rs.getString(5)), rs.getString(6)));
                    }
                }
                return out;
            }
        });
    }

    private static List<QueuedTask> queued(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return QueuedTask.readAll(rs);
        }
    }
}
