package io.cyclefleet.task;

import static io.cyclefleet.db.Jdbc.ints;
import static io.cyclefleet.db.Jdbc.longs;
import static io.cyclefleet.db.Jdbc.texts;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.queue.QueuedTask;
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
 * Faults are not verdicts: a started attempt that ends without its handler's verdict (lease lost, worker
 * fenced, drained, killed) goes back to the queue at the next attempt without spending one, and only the
 * lease losses among those are counted against the task's bound (a task that kills every worker is poison).
 * <p>
 * Statements that take tasks by id and check their status write the check as {@code (status = ...) is true}: the
 * planner cannot match that to a partial index on the status (task_active_queue, task_pending) and takes the rows by
 * primary key. With the plain comparison it scanned the whole partial index whenever its statistics had last seen
 * few such rows (taken while the queue was idle, say): the whole backlog read on every claim.
 */
@ApplicationScoped
public class TaskStore {

    static final String CLAIM = """
            with v as (select * from unnest(?::bigint[], ?::int[]) as v(id, attempt)),
            claimed as (
                -- QUEUED at the delivered attempt; on a retry of a claim that failed, also RUNNING for this very
                -- worker at it: that claim's commit went through but its reply was lost, so it is claimed again
                -- instead of being rejected and left to expire
                update task t set status = 'RUNNING', worker_id = ?, error = null,
                       started_at = case when t.status = 'QUEUED' then now() else t.started_at end,
                       lease_expires_at = now() + make_interval(secs => ?)
                from v where t.id = v.id and t.attempt = v.attempt
                  -- IS TRUE: see the class comment
                  and ((t.status = 'QUEUED' or ? and t.status = 'RUNNING' and t.worker_id = ?) is true)
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

    // SKIP LOCKED: a row a worker is claiming right now needs no mark, and never waiting on
    // another transaction's row lock means this statement can never be part of a deadlock.
    static final String MARK_DISPATCHED = """
            update task t set dispatched_at = now(), dispatch_entry = l.entry
            from (select x.id, v.entry from task x join unnest(?::bigint[], ?::int[], ?::text[]) as v(id, attempt, entry)
                      on x.id = v.id and x.attempt = v.attempt
                  where (x.status = 'QUEUED') is true order by x.id for update of x skip locked) l -- IS TRUE: see the class comment
            where t.id = l.id""";

    /** Marks the deployment intents of attempts whose handler returned: nothing of those attempts acts any more. */
    private static final String INTENTS_ENDED = """
            ended as (
                update deployment_intent i set ended_at = now()
                from v where i.task_id = v.id and i.attempt = v.attempt and i.ended_at is null)""";

    /**
     * Records, for each outcome in {@code v} that the statement's {@code %1$s} CTE did not write (matched on the id
     * and the attempt it was fenced by, its {@code fenced_attempt}), a task.result_rejected event: what was refused
     * ({@code %2$s}, a text SQL expression) and why (the row's state).
     */
    private static final String REJECTED = """
            rejected as (
                insert into cycle_event (cycle_id, task_id, type, attempt, worker_id, detail)
                select t.cycle_id, t.id, 'task.result_rejected', v.attempt, ?,
                       %2$s || ' of attempt ' || v.attempt || ' rejected: task is ' || t.status
                       || ' at attempt ' || t.attempt || coalesce(' held by ' || t.worker_id, '')
                from v join task t on t.id = v.id
                -- not in (never null here) is a hashed subplan; not exists on two columns planned as a nested loop,
                -- quadratic in the batch
                where (v.id, v.attempt) not in (select w.id, w.fenced_attempt from %1$s w))""";

    static final String COMPLETE = """
            with v as (select * from unnest(?::bigint[], ?::int[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::float8[],
                                              ?::int[])
                       as v(id, attempt, status, result, error, delay_ms, metrics, score, refund)),
            done as (
                -- refund: a deferral, not a verdict, does not spend the attempt it ends
                update task t set status = v.status, result = v.result::jsonb, error = v.error, max_attempts = t.max_attempts + v.refund,
                       metrics = v.metrics::jsonb, score = v.score,
                       next_run_at = now() + v.delay_ms * interval '1 millisecond', lease_expires_at = null,
                       finished_at = case when v.status in ('SUCCEEDED', 'FAILED') then now() end
                from v where t.id = v.id and t.attempt = v.attempt and ((t.status = 'RUNNING' and t.worker_id = ?) is true)
                returning t.id, t.cycle_id, v.attempt as fenced_attempt),
            %s,
            %s
            select id, cycle_id from done
            """.formatted(INTENTS_ENDED, REJECTED.formatted("done", "'result ' || v.status"));

    /**
     * The columns of a started attempt that goes back to the queue at attempt + 1 without spending an attempt
     * (max_attempts grows with it, as for a drain). When {@code %1$s} (a boolean SQL expression: is this a lease
     * loss?) holds, the loss is counted, and past the task's bound the task FAILS as poison instead. {@code %2$s}
     * is the reason (a text SQL expression).
     */
    private static final String REQUEUE_STARTED = """
            status = case when %1$s and t.lease_losses >= t.max_lease_losses then 'FAILED' else 'QUEUED' end,
            attempt = t.attempt + case when %1$s and t.lease_losses >= t.max_lease_losses then 0 else 1 end,
            max_attempts = t.max_attempts + case when %1$s and t.lease_losses >= t.max_lease_losses then 0 else 1 end,
            lease_losses = t.lease_losses + case when %1$s then 1 else 0 end,
            error = case when %1$s and t.lease_losses >= t.max_lease_losses
                         then 'poison: attempt ' || t.attempt || ' lost its worker''s lease (' || %2$s || '): '
                              || (t.lease_losses + 1) || ' lease losses, more than the ' || t.max_lease_losses
                              || ' allowed; the task may be crashing, stalling or cutting off the workers that run it'
                         when %1$s then %2$s || '; redelivered without spending an attempt (lease loss '
                              || (t.lease_losses + 1) || ' of ' || t.max_lease_losses || ' allowed)'
                         else %2$s end,
            worker_id = case when %1$s and t.lease_losses >= t.max_lease_losses then t.worker_id end,
            finished_at = case when %1$s and t.lease_losses >= t.max_lease_losses then now() end,
            queued_at = now(), dispatched_at = null, dispatch_entry = null, lease_expires_at = null, next_run_at = null""";

    /**
     * Hands started runs back through {@link #REQUEUE_STARTED}, fenced like a result; {@code endsIntents} when their
     * handlers returned (the runs can no longer act), not for a run abandoned while it may still be running.
     */
    private static String stopStatement(boolean endsIntents) {
        return """
                with v as (select * from unnest(?::bigint[], ?::int[], ?::boolean[], ?::text[]) as v(id, attempt, loss, reason)),
                stopped as (
                    update task t set %s
                    from v where t.id = v.id and t.attempt = v.attempt and ((t.status = 'RUNNING' and t.worker_id = ?) is true)
                    returning t.id, t.attempt, t.queue, t.priority, t.kind, t.status, t.cycle_id, v.attempt as fenced_attempt),
                %s
                %s
                select * from stopped
                """.formatted(REQUEUE_STARTED.formatted("v.loss", "v.reason"), endsIntents ? INTENTS_ENDED + "," : "",
                REJECTED.formatted("stopped", "'hand-back (' || v.reason || ')'"));
    }

    static final String STOP = stopStatement(true);
    private static final String ABANDON = stopStatement(false);

    // a heartbeat: see extendLeases
    static final String RENEW = """
            with mine as (select t.id, t.attempt from task t join unnest(?::bigint[], ?::int[]) as v(id, attempt)
                              on t.id = v.id and t.attempt = v.attempt
                          where ((t.worker_id = ? and t.status = 'RUNNING') is true)),
            -- by id alone: a row changed since this statement's snapshot is still locked, and judged below on
            -- its newest version
            locked as (select t.id from task t where t.id in (select id from mine) order by t.id for update skip locked),
            renewed as (update task t set lease_expires_at = now() + make_interval(secs => ?)
                        from locked l join mine m on m.id = l.id
                        where t.id = l.id and t.attempt = m.attempt and ((t.worker_id = ? and t.status = 'RUNNING') is true)
                        returning t.id, t.attempt)
            select id, attempt, true from renewed
            union all
            select m.id, m.attempt, false from mine m where m.id not in (select id from locked)""";

    // see handBackUnstarted
    static final String HAND_BACK = """
            update task t set status = 'QUEUED', worker_id = null, lease_expires_at = null,
                   dispatched_at = null, dispatch_entry = null, queued_at = now(), error = ?
            from unnest(?::bigint[], ?::int[]) as v(id, attempt)
            where t.id = v.id and t.attempt = v.attempt and ((t.status = 'RUNNING' and t.worker_id = ?) is true)
            returning t.id, t.attempt, t.queue, t.priority, t.kind""";

    private final DataSource ds;

    public TaskStore(DataSource ds) {
        this.ds = ds;
    }

    // ---- worker side -------------------------------------------------------------------------------

    /** Takes the lease of every delivery still QUEUED at its attempt; the rest are recorded as rejected. */
    public List<ClaimedTask> claim(String workerId, List<Delivery> deliveries, Duration lease) {
        return claim(workerId, deliveries, lease, false);
    }

    /**
     * The same; with {@code retry} (this worker's previous claim of these deliveries failed, maybe after its commit),
     * a row already RUNNING for this worker at the delivered attempt is recognised as its own claim. Only the worker
     * process that sent that claim may say so: another process with the same id (a restarted container) must not
     * take over a run its predecessor may still have going.
     */
    public List<ClaimedTask> claim(String workerId, List<Delivery> deliveries, Duration lease, boolean retry) {
        if (deliveries.isEmpty()) {
            return List.of();
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
                ps.setArray(1, longs(c, deliveries.stream().map(Delivery::taskId).toList()));
                ps.setArray(2, ints(c, deliveries.stream().map(Delivery::attempt).toList()));
                ps.setString(3, workerId);
                ps.setDouble(4, lease.toMillis() / 1000.0);
                ps.setBoolean(5, retry);
                ps.setString(6, workerId);
                ps.setString(7, workerId);
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

    /**
     * Result of a batch of outcomes: the rows written, the cycles to tell (their tasks finished or failed as
     * poison), and the tasks handed back to the queue, which the caller puts on Redis.
     */
    public record Completion(Set<Long> accepted, Set<UUID> cycles, List<QueuedTask> requeued) {
        public static final Completion NONE = new Completion(Set.of(), Set.of(), List.of());
    }

    /**
     * Writes the outcomes of runs whose handler returned, in one transaction: verdicts fenced by (status RUNNING,
     * attempt, worker), stopped runs handed back at their next attempt; rejected ones land in the timeline. The
     * deployment intents of every one of these attempts are marked ended, accepted or not: the run is over.
     */
    public Completion complete(String workerId, List<TaskOutcome> outcomes) {
        if (outcomes.isEmpty()) {
            return Completion.NONE;
        }
        List<TaskOutcome> verdicts = outcomes.stream().filter(TaskOutcome::isVerdict).toList();
        List<TaskOutcome> stops = outcomes.stream().filter(o -> !o.isVerdict()).toList();
        return Jdbc.inTransaction(ds, c -> {
            Set<Long> accepted = new HashSet<>();
            Set<UUID> cycles = new LinkedHashSet<>();
            if (!verdicts.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(COMPLETE)) {
                    ps.setArray(1, longs(c, verdicts.stream().map(TaskOutcome::taskId).toList()));
                    ps.setArray(2, ints(c, verdicts.stream().map(TaskOutcome::attempt).toList()));
                    ps.setArray(3, texts(c, verdicts.stream().map(o -> o.status().name()).toList()));
                    ps.setArray(4, texts(c, verdicts.stream().map(TaskOutcome::resultJson).toList()));
                    ps.setArray(5, texts(c, verdicts.stream().map(TaskOutcome::error).toList()));
                    ps.setArray(6, longs(c, verdicts.stream().map(o -> o.retryDelay() == null ? null : o.retryDelay().toMillis()).toList()));
                    ps.setArray(7, texts(c, verdicts.stream().map(TaskOutcome::metricsJson).toList()));
                    ps.setArray(8, c.createArrayOf("float8", verdicts.stream().map(TaskOutcome::score).toArray(Double[]::new)));
                    ps.setArray(9, ints(c, verdicts.stream().map(o -> o.fault() == TaskOutcome.Fault.DEFERRED ? 1 : 0).toList()));
                    ps.setString(10, workerId);
                    ps.setString(11, workerId);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            accepted.add(rs.getLong(1));
                            cycles.add(rs.getObject(2, UUID.class));
                        }
                    }
                }
            }
            List<QueuedTask> requeued = new ArrayList<>();
            if (!stops.isEmpty()) {
                Stopped s = stop(c, workerId, stops.stream().map(o -> new TaskAttempt(o.taskId(), o.attempt())).toList(),
                        stops.stream().map(TaskOutcome::leaseLoss).toList(), stops.stream().map(TaskOutcome::error).toList(), STOP);
                accepted.addAll(s.ids());
                cycles.addAll(s.poisoned());
                requeued.addAll(s.requeued());
            }
            return new Completion(accepted, cycles, requeued);
        });
    }

    /**
     * Hands back a run whose handler has not returned and will not be waited for (it ignores interruption
     * past its timeout): the task goes to its next attempt, counted as a lease loss, without marking its
     * deployment intents ended (the run may still act; a successor waits until the intent's act_until).
     */
    public Completion abandon(String workerId, TaskAttempt run, String reason) {
        return Jdbc.inTransaction(ds, c -> {
            Stopped s = stop(c, workerId, List.of(run), List.of(true), List.of(reason), ABANDON);
            return new Completion(s.ids(), s.poisoned(), s.requeued());
        });
    }

    private record Stopped(Set<Long> ids, List<QueuedTask> requeued, Set<UUID> poisoned) {
    }

    private static Stopped stop(Connection c, String workerId, List<TaskAttempt> runs, List<Boolean> losses, List<String> reasons,
                                String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, longs(c, runs.stream().map(TaskAttempt::id).toList()));
            ps.setArray(2, ints(c, runs.stream().map(TaskAttempt::attempt).toList()));
            ps.setArray(3, c.createArrayOf("boolean", losses.toArray(Boolean[]::new)));
            ps.setArray(4, texts(c, reasons));
            ps.setString(5, workerId);
            ps.setString(6, workerId);
            return readStopped(ps);
        }
    }

    /** Rows shaped (id, attempt, queue, priority, kind, status, cycle_id): requeued ones and poisoned cycles. */
    private static Stopped readStopped(PreparedStatement ps) throws SQLException {
        Set<Long> ids = new HashSet<>();
        List<QueuedTask> requeued = new ArrayList<>();
        Set<UUID> poisoned = new LinkedHashSet<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
                if (TaskStatus.QUEUED.name().equals(rs.getString(6))) {
                    requeued.add(QueuedTask.read(rs));
                } else {
                    poisoned.add(rs.getObject(7, UUID.class));
                }
            }
        }
        return new Stopped(ids, requeued, poisoned);
    }

    /**
     * What a heartbeat found: the attempts whose lease it extended, and those it could not judge because another
     * transaction held their rows (this worker's own result write, a cancel, the reconciler): the next beat will.
     * An attempt in neither is no longer this worker's.
     */
    public record Renewal(Set<TaskAttempt> held, Set<TaskAttempt> busy) {
    }

    /**
     * Extends the leases of exactly the attempts this worker is running (not every row that names it: a
     * row it claimed but lost track of must expire and be redelivered). SKIP LOCKED: a heartbeat never waits on a row
     * lock, so it cannot deadlock with the worker's own result write, which locks the same rows in another order.
     */
    public Renewal extendLeases(String workerId, Collection<TaskAttempt> running, Duration lease) {
        if (running.isEmpty()) {
            return new Renewal(Set.of(), Set.of());
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(RENEW)) {
                ps.setArray(1, longs(c, running.stream().map(TaskAttempt::id).toList()));
                ps.setArray(2, ints(c, running.stream().map(TaskAttempt::attempt).toList()));
                ps.setString(3, workerId);
                ps.setDouble(4, lease.toMillis() / 1000.0);
                ps.setString(5, workerId);
                Set<TaskAttempt> held = new HashSet<>();
                Set<TaskAttempt> busy = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        (rs.getBoolean(3) ? held : busy).add(new TaskAttempt(rs.getLong(1), rs.getInt(2)));
                    }
                }
                return new Renewal(held, busy);
            }
        });
    }

    /** Gives claimed tasks that never started back to the queue at once, at the same attempt (graceful drain, fence). */
    public List<QueuedTask> handBackUnstarted(String workerId, Collection<ClaimedTask> tasks, String reason) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(HAND_BACK)) {
                ps.setString(1, reason);
                ps.setArray(2, longs(c, tasks.stream().map(ClaimedTask::id).toList()));
                ps.setArray(3, ints(c, tasks.stream().map(ClaimedTask::attempt).toList()));
                ps.setString(4, workerId);
                return queued(ps);
            }
        });
    }

    // ---- orchestrator side ---------------------------------------------------------------------------

    /** Records that each task's message is on Redis, as the stream entry {@code entries[i]} (null: unknown). */
    public void markDispatched(List<QueuedTask> tasks, List<String> entries) {
        if (tasks.isEmpty()) {
            return;
        }
        Jdbc.inTransaction(ds, c -> markDispatched(c, tasks, entries));
    }

    /** The same, in the caller's transaction; a task no longer QUEUED at its attempt (claimed already) needs no mark. */
    public static int markDispatched(Connection c, List<QueuedTask> tasks, List<String> entries) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(MARK_DISPATCHED)) {
            // the entry comes through the locked rows: joining the unnest to the update again made the planner
            // scan it once per row (quadratic in the batch, 8x slower at 1000 tasks)
            ps.setArray(1, longs(c, tasks.stream().map(QueuedTask::id).toList()));
            ps.setArray(2, ints(c, tasks.stream().map(QueuedTask::attempt).toList()));
            ps.setArray(3, texts(c, entries));
            return ps.executeUpdate();
        }
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

    /** A QUEUED task with the stream entry its message was put on (null when not known). */
    public record Dispatched(QueuedTask task, String entry) {
    }

    /**
     * QUEUED tasks sent longer than {@code olderThan} ago and still not claimed, oldest first, each re-stamped as
     * looked at now (so a task that merely waits in a long backlog is looked at once per {@code olderThan}). The
     * caller re-sends those whose entry is gone from Redis: a message lost without the whole dataset going (a
     * failover that dropped recent writes, a bug).
     */
    public List<Dispatched> staleDispatches(Duration olderThan, int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set dispatched_at = now()
                    where t.id in (select id from task where status = 'QUEUED' and dispatched_at < now() - make_interval(secs => ?)
                                   order by dispatched_at limit ? for update skip locked)
                    returning t.id, t.attempt, t.queue, t.priority, t.kind, t.dispatch_entry""")) {
                ps.setDouble(1, olderThan.toMillis() / 1000.0);
                ps.setInt(2, limit);
                List<Dispatched> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Dispatched(QueuedTask.read(rs), rs.getString(6)));
                    }
                }
                return out;
            }
        });
    }

    /** After Redis lost its data: every QUEUED task must be sent again. */
    public int forgetDispatches() {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update task set dispatched_at = null, dispatch_entry = null where status = 'QUEUED' and dispatched_at is not null")) {
                return ps.executeUpdate();
            }
        });
    }

    /** Moves due RETRY_WAIT tasks to their next attempt, QUEUED. */
    public List<QueuedTask> promoteDueRetries(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set status = 'QUEUED', attempt = t.attempt + 1, queued_at = now(), dispatched_at = null,
                           dispatch_entry = null, next_run_at = null, worker_id = null
                    where t.id in (select id from task where status = 'RETRY_WAIT' and next_run_at <= now()
                                   order by next_run_at limit ? for update skip locked)
                    returning t.id, t.attempt, t.queue, t.priority, t.kind""")) {
                ps.setInt(1, limit);
                return queued(ps);
            }
        });
    }

    /** Tasks whose lease expired: redelivered, and the cycles of those that failed as poison. */
    public record Expired(List<QueuedTask> requeued, Set<UUID> cyclesWithFailures) {
    }

    /**
     * Redelivers tasks whose lease expired (their worker died, paused, was cut off, or lost Postgres) at the next
     * attempt without spending one: a lost lease is a fault, not the handler's verdict. Counted as a lease loss;
     * past the task's bound it FAILS as poison.
     */
    public Expired expireLeases(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set %s
                    where t.id in (select id from task where status = 'RUNNING' and lease_expires_at < now()
                                     -- after a gap in the reconciler's work, workers first get a chance to heartbeat
                                     and now() >= coalesce((select leases_judged_after from reconciler_state where id = 1), now())
                                   order by lease_expires_at limit ? for update skip locked)
                    returning t.id, t.attempt, t.queue, t.priority, t.kind, t.status, t.cycle_id""".formatted(REQUEUE_STARTED.formatted("true",
                    "'lease expired: worker ' || coalesce(t.worker_id, '?') || ' stopped heartbeating during attempt ' || t.attempt")))) {
                ps.setInt(1, limit);
                Stopped s = readStopped(ps);
                return new Expired(s.requeued(), s.poisoned());
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
