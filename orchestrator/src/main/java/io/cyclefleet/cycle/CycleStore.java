package io.cyclefleet.cycle;

import static io.cyclefleet.db.Jdbc.longs;
import static io.cyclefleet.db.Jdbc.texts;

import io.cyclefleet.api.ConflictException;
import io.cyclefleet.config.OrchestratorConfig;
import io.cyclefleet.db.Jdbc;
import io.cyclefleet.incident.IncidentCause;
import io.cyclefleet.incident.IncidentStore;
import io.cyclefleet.queue.QueuedTask;
import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.TaskStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
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
    private final IncidentStore incidents;
    private final OrchestratorConfig config;

    public CycleStore(DataSource ds, IncidentStore incidents, OrchestratorConfig config) {
        this.ds = ds;
        this.incidents = incidents;
        this.config = config;
    }

    /** Iteration {@code number} (2, 3, …) of the cycle {@code parent}'s spec. */
    public record Iteration(UUID parent, int number) {
    }

    /** The cycle a submission resolved to; {@code created=false} when an idempotency key matched an earlier one. */
    public record Submitted(UUID id, boolean created, boolean sameSpec, List<QueuedTask> roots) {
    }

    /**
     * Writes the cycle, its tasks (roots QUEUED, the rest PENDING) and their dependencies atomically. With
     * an idempotency key already used, writes nothing and returns the earlier cycle; for an iteration that
     * already exists (one child per parent), writes nothing and returns a null id. A cycle that changes its target
     * takes the target's lease; when another cycle holds it, the cycle is written WAITING_FOR_TARGET with every task
     * PENDING (or, with onTargetBusy=reject, nothing is written: 409).
     */
    public Submitted create(CyclePlanner.Plan plan, String specJson, Optional<String> idempotencyKey, Optional<Iteration> iteration) {
        UUID id = UUID.randomUUID();
        List<PlannedTask> tasks = plan.tasks();
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into cycle (id, name, status, spec, idempotency_key, target, parent_id, iteration, deadline_ms, deadline_at,
                                       rollback_deadline_ms, incident_on_failure, change_resources, on_target_busy)
                    values (?, ?, 'ACCEPTED', ?::jsonb, ?, ?, ?, ?, ?::bigint, now() + ?::bigint * interval '1 millisecond', ?, ?, ?, ?)
                    on conflict do nothing""")) {
                ps.setObject(1, id);
                ps.setString(2, plan.spec().name());
                ps.setString(3, specJson);
                ps.setString(4, idempotencyKey.orElse(null));
                ps.setString(5, plan.target());
                ps.setObject(6, iteration.map(Iteration::parent).orElse(null));
                ps.setInt(7, iteration.map(Iteration::number).orElse(1));
                Long deadlineMs = plan.deadline() == null ? null : plan.deadline().toMillis();
                ps.setObject(8, deadlineMs, java.sql.Types.BIGINT);
                ps.setObject(9, deadlineMs, java.sql.Types.BIGINT);
                ps.setLong(10, plan.rollbackDeadline().toMillis());
                ps.setBoolean(11, plan.incidentOnFailure());
                ps.setArray(12, plan.changes().isEmpty() ? null : texts(c, plan.changes()));
                ps.setString(13, plan.onTargetBusy().wireName());
                if (ps.executeUpdate() == 0) {
                    return iteration.isPresent() ? new Submitted(null, false, true, List.of())
                            : earlier(c, idempotencyKey.orElseThrow(), specJson);
                }
            }
            if (iteration.isPresent()) {
                UUID parent = iteration.get().parent();
                try (PreparedStatement ps = c.prepareStatement("update cycle set next_iteration_at = null where id = ?")) {
                    ps.setObject(1, parent);
                    ps.executeUpdate();
                }
                event(c, parent, "cycle.iteration_started", "iteration " + iteration.get().number() + ": cycle " + id);
                event(c, id, "cycle.iteration_of", "iteration " + iteration.get().number() + " of cycle " + parent);
            }
            boolean waits = !plan.changes().isEmpty() && waitForTarget(c, id, plan.target(), plan.changes(), plan.onTargetBusy());
            Map<String, Long> ids = insertTasks(c, id, tasks, waits, config.defaults().maxLeaseLosses());
            insertDependencies(c, tasks, ids);
            List<QueuedTask> roots = new ArrayList<>();
            for (PlannedTask t : tasks) {
                if (t.startsQueued() && !waits) {
                    roots.add(new QueuedTask(ids.get(t.key()), 1, t.queue(), t.priority(), t.kind()));
                }
            }
            return new Submitted(id, true, true, roots);
        });
    }

    /**
     * Takes the leases of what the cycle changes. Returns true when another cycle holds one (or waits for one since
     * before) and this one waits (WAITING_FOR_TARGET); with onTargetBusy=reject, refuses instead (409, the
     * transaction rolls back).
     */
    private static boolean waitForTarget(Connection c, UUID cycle, String target, List<String> changes, CyclePlanner.OnTargetBusy onBusy)
            throws SQLException {
        Optional<UUID> holder = TargetLeases.acquire(c, cycle, changes, true);
        if (holder.isEmpty()) {
            return false;
        }
        if (onBusy == CyclePlanner.OnTargetBusy.REJECT) {
            throw new ConflictException("target '" + target + "' (or an adapter this cycle deploys through) is being changed by cycle " + holder.get()
                    + " (onTargetBusy=reject); submit again once it has ended, or with onTargetBusy=wait");
        }
        try (PreparedStatement ps = c.prepareStatement("update cycle set status = 'WAITING_FOR_TARGET', updated_at = now() where id = ?")) {
            ps.setObject(1, cycle);
            ps.executeUpdate();
        }
        event(c, cycle, "cycle.waiting_for_target", "cycle " + holder.get() + " is changing (or waits to change) target '" + target
                + "' or an adapter this cycle deploys through; this cycle starts when that is over");
        return true;
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

    /** Inserts the tasks: roots QUEUED unless {@code hold} (the cycle waits for its target), the rest PENDING. */
    private static Map<String, Long> insertTasks(Connection c, UUID cycle, List<PlannedTask> tasks, boolean hold, int maxLeaseLosses)
            throws SQLException {
        int n = tasks.size();
        List<String> keys = new ArrayList<>(n), kinds = new ArrayList<>(n), queues = new ArrayList<>(n), prios = new ArrayList<>(n),
                params = new ArrayList<>(n), statuses = new ArrayList<>(n), branches = new ArrayList<>(n), risks = new ArrayList<>(n),
                triggers = new ArrayList<>(n), approvals = new ArrayList<>(n);
        List<Long> attempts = new ArrayList<>(n), backoffs = new ArrayList<>(n), maxBackoffs = new ArrayList<>(n), timeouts = new ArrayList<>(n);
        for (PlannedTask t : tasks) {
            keys.add(t.key());
            kinds.add(t.kind());
            queues.add(t.queue());
            prios.add(t.priority().wireName());
            params.add(t.paramsJson());
            statuses.add((t.startsQueued() && !hold ? TaskStatus.QUEUED : TaskStatus.PENDING).name());
            branches.add(t.branch().name().toLowerCase(java.util.Locale.ROOT));
            risks.add(t.risk().wireName());
            triggers.add(Boolean.toString(t.triggersRollback()));
            approvals.add(Boolean.toString(t.needsApproval()));
            attempts.add((long) t.retry().maxAttempts());
            backoffs.add(t.retry().backoff().toMillis());
            maxBackoffs.add(t.retry().maxBackoff().toMillis());
            timeouts.add(t.timeout().toMillis());
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into task (cycle_id, step_key, kind, queue, priority, params, status, max_attempts, attempt_budget, backoff_ms,
                                  max_backoff_ms, timeout_ms, created_at, queued_at, branch, risk, triggers_rollback, needs_approval,
                                  max_lease_losses)
                select ?, k, kind, q, p, params::jsonb, s, a, a, b, mb, t, clock.ts, case when s = 'QUEUED' then clock.ts end, br, r,
                       tr::boolean, na::boolean, ?
                from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],
                            ?::text[], ?::text[], ?::text[], ?::text[])
                     as v(k, kind, q, p, params, s, a, b, mb, t, br, r, tr, na)
                     -- one instant for the whole cycle, after its own creation event: the timeline shows a task created
                     -- QUEUED where queued_at = created_at (V15)
                     cross join (select clock_timestamp() as ts) clock
                returning id, step_key""")) {
            ps.setObject(1, cycle);
            ps.setInt(2, maxLeaseLosses);
            ps.setArray(3, texts(c, keys));
            ps.setArray(4, texts(c, kinds));
            ps.setArray(5, texts(c, queues));
            ps.setArray(6, texts(c, prios));
            ps.setArray(7, texts(c, params));
            ps.setArray(8, texts(c, statuses));
            ps.setArray(9, longs(c, attempts));
            ps.setArray(10, longs(c, backoffs));
            ps.setArray(11, longs(c, maxBackoffs));
            ps.setArray(12, longs(c, timeouts));
            ps.setArray(13, texts(c, branches));
            ps.setArray(14, texts(c, risks));
            ps.setArray(15, texts(c, triggers));
            ps.setArray(16, texts(c, approvals));
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

    /**
     * ACCEPTED → RUNNING once its first tasks are on Redis: when their sending is recorded ({@link DispatchMarks}), or
     * when the advancer first moves the cycle (a task of it ran), whichever comes first.
     */
    static void markRunning(Connection c, Collection<UUID> cycles) throws SQLException {
        if (cycles.isEmpty()) {
            return;
        }
        // SKIP LOCKED: a cycle locked now is being advanced (which marks it) or cancelled; never waiting on one means
        // this cannot deadlock with an advancer that holds the cycle and waits for the task rows a mark holds. What is
        // left ACCEPTED the reconciler moves within a pass.
        try (PreparedStatement ps = c.prepareStatement("""
                update cycle set status = '%1$s', updated_at = now()
                where id in (select id from cycle where id = any(?) and status = '%2$s' for no key update skip locked)"""
                .formatted(CycleStatus.RUNNING, CycleStatus.ACCEPTED))) {
            ps.setArray(1, c.createArrayOf("uuid", cycles.toArray()));
            ps.executeUpdate();
        }
    }

    public enum CancelResult { CANCELLED, ROLLING_BACK, ALREADY_ROLLING_BACK, NOT_FOUND, ALREADY_FINISHED }

    /**
     * Cancels the cycle. Once a deployment has started (a deploy step recorded its intent) and the cycle has a rollback
     * branch, cancelling rolls back first unless {@code rollback} is false: the main DAG's unfinished tasks are
     * cancelled (late results are fenced out) and the rollback branch runs (ROLLING_BACK; the caller advances the
     * cycle, which ends ROLLED_BACK or, if the rollback fails, FAILED with its incident). A cycle already rolling back
     * keeps rolling back ({@code ALREADY_ROLLING_BACK}) unless {@code rollback} is false: then the rollback is stopped
     * too, and since the bad version may still be live, a rollback-failed incident opens. Otherwise every unfinished
     * task is cancelled and the cycle ends CANCELLED.
     */
    public CancelResult cancel(UUID cycle, String actor, boolean rollback) {
        return Jdbc.inTransaction(ds, c -> {
            Optional<Locked> locked = lock(c, cycle);
            if (locked.isEmpty()) {
                return CancelResult.NOT_FOUND;
            }
            if (locked.get().status().isTerminal()) {
                return CancelResult.ALREADY_FINISHED;
            }
            String reason = "cancelled by " + actor;
            if (locked.get().rollingBack()) {
                if (rollback) {
                    return CancelResult.ALREADY_ROLLING_BACK;
                }
                end(c, cycle, CycleStatus.CANCELLED, reason + ", rollback stopped");
                incidents.open(c, cycle, IncidentCause.ROLLBACK_FAILED); // the bad version may still be live
                return CancelResult.CANCELLED;
            }
            boolean deployed = deployed(c, cycle);
            if (deployed && rollback && hasRollbackBranch(c, cycle)) {
                startRollback(c, cycle, RollbackStart.OPERATOR, reason + " after a deployment started");
                return CancelResult.ROLLING_BACK;
            }
            end(c, cycle, CycleStatus.CANCELLED, reason);
            if (deployed) {
                event(c, cycle, "cycle.rollback_not_run", rollback ? "the cycle has no rollback branch: the deployment it started stays"
                        : actor + " asked not to roll back: the deployment it started stays");
            }
            return CancelResult.CANCELLED;
        });
    }

    /** Who started a cycle's rollback; it decides how a recovered cycle ends and whether on-call is paged. */
    public enum RollbackStart {
        /** A rollback trigger (deploy, verify, a gate after the deploy) failed. */
        TRIGGER,
        /** Another main step failed after a deployment had started (a trigger skipped, a report step failing...). */
        FAILURE,
        /** The cycle's deadline passed after a deployment had started. */
        DEADLINE,
        /** An operator cancelled the cycle after a deployment had started. */
        OPERATOR;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static RollbackStart of(String wire) {
            return wire == null ? TRIGGER : valueOf(wire.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /**
     * Starts the rollback branch: records when and why (the detection time for MTTR is when the earliest failed main
     * step since the cycle's first deployment intent ended; for a deadline or a cancel, now), starts the rollback deadline,
     * and stops the main DAG: its steps that have not started are skipped, the queued, running or retrying ones cancelled.
     * The caller advances the cycle to queue the branch.
     */
    static void startRollback(Connection c, UUID cycle, RollbackStart by, String cause) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update cycle set failure_detected_at = case when ? then now() else coalesce(
                           (select min(finished_at) from task
                            where cycle_id = ? and branch = 'main' and status = 'FAILED'
                              and finished_at >= coalesce((select min(recorded_at) from deployment_intent where cycle_id = ?), '-infinity')),
                           now()) end,
                       rollback_started_by = ?, rollback_cause = left(?, 1200), updated_at = now(),
                       rollback_deadline_at = now() + rollback_deadline_ms * interval '1 millisecond'
                where id = ?""")) {
            // a step's failure was detected when it ended (MTTR runs from there); a deadline or a cancel, now
            ps.setBoolean(1, by == RollbackStart.DEADLINE || by == RollbackStart.OPERATOR);
            ps.setObject(2, cycle);
            ps.setObject(3, cycle);
            ps.setString(4, by.wireName());
            ps.setString(5, cause);
            ps.setObject(6, cycle);
            ps.executeUpdate();
        }
        // the main DAG stops: what has not started is skipped, what is queued, running or waiting for a retry is
        // cancelled (late results are fenced out) — a deploy redelivered after a fault must not act beside the rollback
        try (PreparedStatement ps = c.prepareStatement("""
                update task set status = case when status = 'PENDING' then 'SKIPPED' else 'CANCELLED' end,
                       error = case when status = 'PENDING' then 'not run: the rollback started' else ? end,
                       finished_at = now(), lease_expires_at = null
                where cycle_id = ? and branch = 'main' and status in ('PENDING', 'QUEUED', 'RUNNING', 'RETRY_WAIT')""")) {
            ps.setString(1, "cancelled: the rollback started (" + cause + ")");
            ps.setObject(2, cycle);
            ps.executeUpdate();
        }
        event(c, cycle, "cycle.rollback_started", cause);
    }

    /** Whether a deployment step of the cycle recorded an intent: it may have changed the target. */
    static boolean deployed(Connection c, UUID cycle) throws SQLException {
        return exists(c, "select exists (select 1 from deployment_intent where cycle_id = ? and action = 'deploy')", cycle);
    }

    static boolean hasRollbackBranch(Connection c, UUID cycle) throws SQLException {
        return exists(c, "select exists (select 1 from task where cycle_id = ? and branch = 'rollback')", cycle);
    }

    private static boolean exists(Connection c, String sql, UUID cycle) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Ends a cycle early: every unfinished task is cancelled with {@code reason}, then the cycle gets {@code status}. */
    static void end(Connection c, UUID cycle, CycleStatus status, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update task set status = 'CANCELLED', error = ?, finished_at = now(), lease_expires_at = null
                where cycle_id = ? and status in ('PENDING', 'QUEUED', 'RUNNING', 'RETRY_WAIT')""")) {
            ps.setString(1, reason);
            ps.setObject(2, cycle);
            ps.executeUpdate();
        }
        finish(c, cycle, status, reason);
    }

    /** A parent whose next iteration is due. */
    public record DueIteration(UUID parent, String specJson, int number) {
    }

    public List<DueIteration> dueIterations(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select id, spec::text, iteration + 1 from cycle where next_iteration_at <= now() order by next_iteration_at limit ?""")) {
                ps.setInt(1, limit);
                List<DueIteration> due = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(new DueIteration(rs.getObject(1, UUID.class), rs.getString(2), rs.getInt(3)));
                    }
                }
                return due;
            }
        });
    }

    /** The next iteration cannot start (its spec no longer validates): say why, and stop trying. */
    public void abandonIteration(UUID parent, String reason) {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("update cycle set next_iteration_at = null where id = ?")) {
                ps.setObject(1, parent);
                ps.executeUpdate();
            }
            event(c, parent, "cycle.iteration_not_started", reason);
            return null;
        });
    }

    /** Unfinished cycles past their deadline, or whose rollback is past its own. */
    public List<UUID> overdue(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    (select id from cycle where deadline_at < now() and finished_at is null and failure_detected_at is null
                     order by deadline_at limit ?)
                    union
                    (select id from cycle where rollback_deadline_at < now() and finished_at is null order by rollback_deadline_at limit ?)""")) {
                ps.setInt(1, limit);
                ps.setInt(2, limit);
                List<UUID> ids = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getObject(1, UUID.class));
                    }
                }
                return ids;
            }
        });
    }

    public enum ExpireResult { NOT_DUE, EXPIRED, ROLLING_BACK }

    /**
     * Past its deadline, a cycle that has started a deployment and has a rollback branch rolls back (ROLLING_BACK: its
     * main DAG is cancelled, the caller advances it); any other ends FAILED, cancelling what is left, with its
     * incident. The deadline never stops a rollback: a rollback past its own deadline ends the cycle FAILED with a
     * rollback-failed incident (the target may still run the bad version).
     */
    public ExpireResult expire(UUID cycle) {
        return Jdbc.inTransaction(ds, c -> {
            Optional<Locked> locked = lock(c, cycle);
            if (locked.isEmpty() || locked.get().status().isTerminal()) {
                return ExpireResult.NOT_DUE;
            }
            boolean rollingBack = locked.get().rollingBack();
            try (PreparedStatement ps = c.prepareStatement(
                    "select case when ? then rollback_deadline_at < now() else deadline_at < now() end, rollback_deadline_ms from cycle where id = ?")) {
                ps.setBoolean(1, rollingBack);
                ps.setObject(2, cycle);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) {
                        return ExpireResult.NOT_DUE;
                    }
                    if (rollingBack) {
                        end(c, cycle, CycleStatus.FAILED, "rollback not finished within its deadline of "
                                + java.time.Duration.ofMillis(rs.getLong(2)));
                        incidents.open(c, cycle, IncidentCause.ROLLBACK_FAILED);
                        return ExpireResult.EXPIRED;
                    }
                }
            }
            String reason = "deadline exceeded while " + locked.get().status();
            boolean deployed = deployed(c, cycle);
            if (deployed && hasRollbackBranch(c, cycle)) {
                startRollback(c, cycle, RollbackStart.DEADLINE, reason + " after a deployment started");
                return ExpireResult.ROLLING_BACK;
            }
            end(c, cycle, CycleStatus.FAILED, reason);
            incidents.open(c, cycle, deployed ? IncidentCause.DEPLOYMENT_NOT_ROLLED_BACK : IncidentCause.DEADLINE_EXCEEDED);
            return ExpireResult.EXPIRED;
        });
    }

    public enum RetryResult { RESTARTED, NOT_FOUND, NOT_RETRYABLE }

    /**
     * Reruns a FAILED or CANCELLED cycle from its unfinished steps: every FAILED, SKIPPED or CANCELLED task
     * goes back to PENDING at its next attempt (a fresh fence, so nothing of the old run can write) with a
     * fresh attempt budget; SUCCEEDED tasks and their results are kept. Once a rollback has started, only the
     * rollback branch reruns: the failure that started it stands. A deadline starts afresh, and a rerun risky
     * step needs a fresh approval. The caller then advances the cycle.
     */
    public RetryResult retry(UUID cycle) {
        return Jdbc.inTransaction(ds, c -> {
            Optional<Locked> locked = lock(c, cycle);
            if (locked.isEmpty()) {
                return RetryResult.NOT_FOUND;
            }
            CycleStatus status = locked.get().status();
            if (status != CycleStatus.FAILED && status != CycleStatus.CANCELLED) {
                return RetryResult.NOT_RETRYABLE;
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    update task set status = 'PENDING', attempt = attempt + 1, max_attempts = attempt + coalesce(attempt_budget, max_attempts), lease_losses = 0,
                           error = 'rerun after: ' || coalesce(error, status), result = null, metrics = null, score = null,
                           worker_id = null, lease_expires_at = null, next_run_at = null, dispatched_at = null,
                           queued_at = null, started_at = null, finished_at = null, approved_at = null, approved_by = null
                    where cycle_id = ? and status in ('FAILED', 'SKIPPED', 'CANCELLED') and (branch = 'rollback' or not ?)""")) {
                ps.setObject(1, cycle);
                ps.setBoolean(2, locked.get().rollingBack());
                ps.executeUpdate();
            }
            boolean waits = false;
            Optional<Changes> changes = changes(c, cycle);
            if (changes.isPresent()) {
                waits = waitForTarget(c, cycle, changes.get().target(), changes.get().resources(), changes.get().onBusy());
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    update cycle set status = ?, error = null, finished_at = null, updated_at = now(),
                           rollback_finished_at = null, deadline_at = now() + deadline_ms * interval '1 millisecond',
                           rollback_deadline_at = case when failure_detected_at is not null
                                                       then now() + rollback_deadline_ms * interval '1 millisecond' end
                    where id = ?""")) {
                ps.setString(1, (waits ? CycleStatus.WAITING_FOR_TARGET : CycleStatus.RUNNING).name());
                ps.setObject(2, cycle);
                ps.executeUpdate();
            }
            return RetryResult.RESTARTED;
        });
    }

    /** What a cycle changes, and what it does while another cycle changes it. */
    private record Changes(String target, List<String> resources, CyclePlanner.OnTargetBusy onBusy) {
    }

    /** Empty for a cycle that changes nothing. */
    private static Optional<Changes> changes(Connection c, UUID cycle) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select target, change_resources, on_target_busy from cycle where id = ? and change_resources is not null")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Changes(rs.getString(1), List.of((String[]) rs.getArray(2).getArray()),
                        CyclePlanner.OnTargetBusy.valueOf(rs.getString(3).toUpperCase(java.util.Locale.ROOT)))) : Optional.empty();
            }
        }
    }

    public enum ApprovalResult { DONE, NOT_FOUND, NOT_AWAITING }

    /**
     * Approves the steps the cycle waits for (those ready and riskier than its maxAutoRisk) and resumes it;
     * later risky steps wait for their own approval. The caller then advances the cycle.
     */
    public ApprovalResult approve(UUID cycle, String actor, Optional<List<String>> expected) {
        return decide(cycle, c -> {
            List<String> steps = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    update task t set approved_at = now(), approved_by = ?
                    where t.cycle_id = ? and t.status = 'PENDING' and t.needs_approval and t.approved_at is null
                      and not exists (select 1 from task_dependency d join task u on u.id = d.depends_on
                                      where d.task_id = t.id and u.status <> 'SUCCEEDED')
                    returning t.step_key""")) {
                ps.setString(1, actor);
                ps.setObject(2, cycle);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        steps.add(rs.getString(1));
                    }
                }
            }
            if (expected.isPresent() && !new java.util.TreeSet<>(expected.get()).equals(new java.util.TreeSet<>(steps))) {
                // rolls the transaction back: nothing is approved
                throw new ConflictException("cycle " + cycle + " waits for " + steps + ", not " + expected.get());
            }
            try (PreparedStatement ps = c.prepareStatement("update cycle set status = 'RUNNING', updated_at = now() where id = ?")) {
                ps.setObject(1, cycle);
                ps.executeUpdate();
            }
            event(c, cycle, "cycle.approved", "approved by " + actor + ": " + String.join(", ", steps));
        });
    }

    /** Declines the steps the cycle waits for: the cycle ends CANCELLED, nothing more of it runs. */
    public ApprovalResult reject(UUID cycle, String actor) {
        return decide(cycle, c -> end(c, cycle, CycleStatus.CANCELLED, "approval rejected by " + actor));
    }

    @FunctionalInterface
    private interface Decision {
        void apply(Connection c) throws SQLException;
    }

    private ApprovalResult decide(UUID cycle, Decision decision) {
        return Jdbc.inTransaction(ds, c -> {
            Optional<Locked> locked = lock(c, cycle);
            if (locked.isEmpty()) {
                return ApprovalResult.NOT_FOUND;
            }
            if (locked.get().status() != CycleStatus.AWAITING_APPROVAL) {
                return ApprovalResult.NOT_AWAITING;
            }
            decision.apply(c);
            return ApprovalResult.DONE;
        });
    }

    /**
     * A cycle row locked for this transaction: its status, whether its rollback branch has started and who started it,
     * and whether its spec asks for an incident when it fails without a rollback.
     */
    record Locked(CycleStatus status, boolean rollingBack, RollbackStart startedBy, boolean incidentOnFailure) {
    }

    static Optional<Locked> lock(Connection c, UUID cycle) throws SQLException {
        // NO KEY UPDATE: serializes advancers and cancel on the cycle without blocking the FOR KEY SHARE
        // that every task insert takes on it through its foreign key.
        try (PreparedStatement ps = c.prepareStatement(
                "select status, failure_detected_at is not null, rollback_started_by, incident_on_failure from cycle where id = ? for no key update")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Locked(CycleStatus.valueOf(rs.getString(1)), rs.getBoolean(2),
                        RollbackStart.of(rs.getString(3)), rs.getBoolean(4))) : Optional.empty();
            }
        }
    }

    /** Appends a cycle-level event the triggers do not write (decisions, rollback, iteration). */
    static void event(Connection c, UUID cycle, String type, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into cycle_event (cycle_id, type, detail) values (?, ?, ?)")) {
            ps.setObject(1, cycle);
            ps.setString(2, type);
            ps.setString(3, detail);
            ps.executeUpdate();
        }
    }

    /** Ends the cycle with {@code status}; every terminal path comes here, and releases the cycle's target lease. */
    static void finish(Connection c, UUID cycle, CycleStatus status, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update cycle set status = ?, error = ?, finished_at = now(), updated_at = now() where id = ?")) {
            ps.setString(1, status.name());
            ps.setString(2, error);
            ps.setObject(3, cycle);
            ps.executeUpdate();
        }
        TargetLeases.release(c, cycle);
    }

}
