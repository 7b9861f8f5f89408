package io.cyclefleet.maintenance;

import io.cyclefleet.config.OrchestratorConfig;
import io.cyclefleet.cycle.CycleAdvancer;
import io.cyclefleet.cycle.CycleMetrics;
import io.cyclefleet.cycle.CycleService;
import io.cyclefleet.cycle.TargetLeases;
import io.cyclefleet.db.Jdbc;
import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.QueuedTask;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.SingletonLock;
import io.cyclefleet.task.TaskDispatcher;
import io.cyclefleet.task.TaskStatus;
import io.cyclefleet.task.TaskStore;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Keeps Redis and the cycles consistent with Postgres, on one orchestrator at a time. The fast pass
 * (every second) records itself (after a gap, leases get a grace period: {@link ReconcilerProgress}) and does
 * steps 1-4, then hands free targets to waiting cycles, starts due iterations and enforces deadlines; the sweep
 * pass (every 10 s) steps 5-7:
 * <ol>
 * <li>Redis lost its data (epoch marker gone)? Every QUEUED task is marked to be sent again.</li>
 * <li>RETRY_WAIT tasks whose time has come move to their next attempt.</li>
 * <li>RUNNING tasks whose lease expired are redelivered at the next attempt without spending one (a fault is not a
 *     verdict), or fail as poison past their bound of lease losses.</li>
 * <li>QUEUED tasks not known to be on Redis are sent.</li>
 * <li>QUEUED tasks sent longer than resend-after ago and never claimed are sent again if their stream entry is
 *     gone (not while they wait in a backlog).</li>
 * <li>Stream entries nobody acknowledged for longer than the orphan idle time are judged from Postgres:
 *     still QUEUED at that attempt means resend; anything else means drop.</li>
 * <li>Cycles with no task queued, running or waiting for a retry, or with a PENDING step whose upstream
 *     all finished, are advanced (lost completion notices).</li>
 * </ol>
 * Every repair is counted in {@code cyclefleet_reconciler_repairs}.
 */
@ApplicationScoped
public class Reconciler {

    private static final Logger LOG = Logger.getLogger(Reconciler.class);
    static final long LOCK_KEY = 0x6379_5432L;
    static final String ORPHAN_CONSUMER = "reconciler";

    private final SingletonLock lock;
    private final TaskStore tasks;
    private final TaskDispatcher dispatcher;
    private final RedisTaskQueue queue;
    private final CycleAdvancer advancer;
    private final CycleService cycles;
    private final CycleMetrics metrics;
    private final OrchestratorConfig.Reconciler config;
    private final DataSource ds;
    private final ReconcilerProgress progress;
    private final TargetLeases targets;

    public Reconciler(SingletonLock lock, TaskStore tasks, TaskDispatcher dispatcher, RedisTaskQueue queue,
                      CycleAdvancer advancer, CycleService cycles, CycleMetrics metrics, OrchestratorConfig config, DataSource ds,
                      ReconcilerProgress progress, TargetLeases targets) {
        this.progress = progress;
        this.targets = targets;
        this.cycles = cycles;
        this.lock = lock;
        this.tasks = tasks;
        this.dispatcher = dispatcher;
        this.queue = queue;
        this.advancer = advancer;
        this.metrics = metrics;
        this.config = config.reconciler();
        this.ds = ds;
    }

    /** The loop work depends on: retries come due and leases expire by the second. */
    @Scheduled(every = "${cyclefleet.reconciler.every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void tick() {
        exclusively(LOCK_KEY, this::fastPass);
    }

    /** Safety nets for rare losses; they scan more, so they run less often. */
    @Scheduled(every = "${cyclefleet.reconciler.sweep-every:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "2s")
    void sweep() {
        exclusively(LOCK_KEY + 1, this::sweepPass);
    }

    private void exclusively(long key, Runnable pass) {
        try {
            lock.runExclusively(key, pass);
        } catch (RuntimeException e) {
            LOG.warnf("reconciler pass failed: %s", e.toString());
        }
    }

    /** One full pass of both loops; public so tests can run it without waiting for the schedule. */
    public void reconcile() {
        fastPass();
        sweepPass();
    }

    void fastPass() {
        try {
            progress.passStarts(config.gapAfter(), config.leaseGrace()).ifPresent(gap -> LOG.warnf("the reconciler resumes after a gap "
                    + "of %d s (Postgres or every orchestrator was down): leases are not judged for %s, so that workers can renew them first",
                    gap.toSeconds(), config.leaseGrace()));
        } catch (RuntimeException e) {
            LOG.warnf("reconciler pass skipped: %s", e.toString()); // Postgres unreachable: nothing below could run either
            return;
        }
        step("redis epoch", this::repairLostRedis);
        step("due retries", this::promoteRetries);
        step("expired leases", this::expireLeases);
        step("undispatched", this::dispatchUnsent);
        step("targets", this::handOffTargets);
        step("due iterations", () -> cycles.startDueIterations(config.batch()));
        step("deadlines", () -> cycles.expireOverdue(config.batch()));
        step("pass end", progress::passEnded);
    }

    /** Cycles waiting for a target nobody holds any more get it, oldest first, and start. */
    void handOffTargets() {
        List<UUID> started = targets.handOff(config.batch());
        if (!started.isEmpty()) {
            LOG.infof("%d cycle(s) got their target and start", started.size());
            advancer.advance(started);
        }
    }

    void sweepPass() {
        step("stale dispatches", this::resendStale);
        step("orphaned entries", this::sweepOrphans);
        step("stalled cycles", this::advanceStalled);
        step("gone workers", this::forgetGoneWorkers);
        step("expired intents", this::closeExpiredIntents);
    }

    /**
     * Deployment intents whose attempt never reported its end (its worker was killed) stop acting at their act_until;
     * an hour later they are marked ended then, so the index of open intents holds only the ones that matter.
     */
    void closeExpiredIntents() {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update deployment_intent set ended_at = act_until
                    where ended_at is null and act_until < now() - interval '1 hour'""")) {
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Deletes the rows of workers not heard from for goneWorkersKept (a live one beats every few seconds and
     * would register again at its next beat, an upsert). Tasks keep the worker's id as text, not as a key.
     */
    void forgetGoneWorkers() {
        int n = Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("delete from worker where last_seen_at < now() - make_interval(secs => ?)")) {
                ps.setDouble(1, config.goneWorkersKept().toMillis() / 1000.0);
                return ps.executeUpdate();
            }
        });
        if (n > 0) {
            LOG.infof("forgot %d worker(s) gone for over %s", n, config.goneWorkersKept());
        }
    }

    private void step(String name, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warnf("reconciler step '%s' failed: %s", name, e.toString());
        }
    }

    void repairLostRedis() {
        if (queue.epochPresent()) {
            return;
        }
        int resend = tasks.forgetDispatches();
        queue.ensureCompletions();
        activeQueues().forEach(queue::ensureQueue);
        queue.markEpoch(UUID.randomUUID().toString());
        metrics.repaired("redis_data_lost", 1);
        if (resend > 0) {
            LOG.warnf("Redis lost its data (epoch marker missing): %d queued task(s) will be sent again from Postgres", resend);
        }
    }

    void promoteRetries() {
        List<QueuedTask> due = tasks.promoteDueRetries(config.batch());
        dispatcher.dispatch(due);
    }

    void expireLeases() {
        TaskStore.Expired expired = tasks.expireLeases(config.batch());
        if (!expired.requeued().isEmpty()) {
            LOG.warnf("redelivering %d task(s) whose lease expired, without spending an attempt", expired.requeued().size());
        }
        metrics.repaired("lease_expired_redelivered", expired.requeued().size());
        metrics.repaired("lease_expired_failed", expired.cyclesWithFailures().size());
        // a redelivery counts once it is on Redis; if Redis refuses, dispatchUnsent sends and counts it later
        if (dispatcher.dispatch(expired.requeued())) {
            metrics.redelivered("lease_expired", expired.requeued().size());
        }
        advancer.advance(expired.cyclesWithFailures());
    }

    void dispatchUnsent() {
        List<QueuedTask> unsent = tasks.undispatched(config.dispatchGrace(), config.batch());
        if (unsent.isEmpty()) {
            markAcceptedRunning();
            return;
        }
        unsent.stream().map(QueuedTask::queue).distinct().forEach(queue::ensureQueue);
        if (dispatcher.dispatch(unsent)) {
            metrics.repaired("undispatched_sent", unsent.size());
            metrics.redelivered("undispatched", unsent.size());
        }
        markAcceptedRunning();
    }

    /**
     * Looks at tasks sent over resend-after ago and still QUEUED: re-sends those whose stream entry is gone from Redis
     * (a message lost without the whole dataset going); one still on its stream waits in a backlog or is pending with
     * a consumer (the orphan sweep's case), and is left alone.
     */
    void resendStale() {
        List<TaskStore.Dispatched> stale = tasks.staleDispatches(config.resendAfter(), config.batch());
        if (stale.isEmpty()) {
            return;
        }
        List<QueuedTask> candidates = stale.stream().map(TaskStore.Dispatched::task).toList();
        List<Boolean> present = queue.entriesPresent(candidates, stale.stream().map(TaskStore.Dispatched::entry).toList());
        List<QueuedTask> lost = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (!present.get(i)) {
                lost.add(candidates.get(i));
            }
        }
        if (lost.isEmpty()) {
            return;
        }
        LOG.warnf("%d task(s) sent over %s ago are still queued and their messages are gone from Redis; sending them again",
                lost.size(), config.resendAfter());
        lost.stream().map(QueuedTask::queue).distinct().forEach(queue::ensureQueue);
        if (dispatcher.dispatch(lost)) {
            metrics.repaired("stale_dispatch_resent", lost.size());
            metrics.redelivered("resent", lost.size());
        }
    }

    private void markAcceptedRunning() {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update cycle c set status = 'RUNNING', updated_at = now()
                    where c.id in (select id from cycle where status = 'ACCEPTED' for no key update skip locked)
                      -- a cycle locked now is being advanced or marked already: the next pass looks again
                      and not exists (select 1 from task t where t.cycle_id = c.id and t.status = 'QUEUED' and t.dispatched_at is null)""")) {
                return ps.executeUpdate();
            }
        });
    }

    void sweepOrphans() {
        for (String q : queue.knownQueues()) {
            List<Delivery> orphans = queue.claimOrphans(q, ORPHAN_CONSUMER, config.orphanIdle(), config.batch());
            if (orphans.isEmpty()) {
                continue;
            }
            Map<Long, TaskStore.State> states = new HashMap<>();
            tasks.states(orphans.stream().map(Delivery::taskId).toList()).forEach(s -> states.put(s.id(), s));
            List<QueuedTask> resend = new ArrayList<>();
            Set<Long> seen = new LinkedHashSet<>();
            for (Delivery d : orphans) {
                TaskStore.State s = states.get(d.taskId());
                if (s != null && s.status() == TaskStatus.QUEUED && s.attempt() == d.attempt() && seen.add(s.id())) {
                    resend.add(new QueuedTask(s.id(), s.attempt(), s.queue(), s.priority(), s.kind()));
                }
            }
            if (!resend.isEmpty()) {
                LOG.warnf("queue %s: %d task(s) were fetched but never claimed (worker lost?); sending them again", q, resend.size());
            }
            if (!dispatcher.dispatch(resend)) {
                continue; // the entries stay pending and are taken over again at the next sweep
            }
            queue.drop(orphans);
            metrics.repaired("orphan_resent", resend.size());
            metrics.redelivered("orphaned", resend.size());
            metrics.repaired("orphan_dropped", orphans.size() - resend.size());
        }
    }

    void advanceStalled() {
        List<UUID> stalled = Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select c.id from cycle c
                    where c.status in ('ACCEPTED', 'RUNNING') and c.updated_at < now() - interval '1 second'
                      and not exists (select 1 from task t where t.cycle_id = c.id and t.status in ('QUEUED', 'RUNNING', 'RETRY_WAIT'))
                    union
                    -- a step that could move (its upstream all finished a while ago) but did not; a rollback
                    -- step before its rollback and a step waiting for approval are not stalled, they wait
                    select t.cycle_id from task t join cycle c on c.id = t.cycle_id
                    where t.status = 'PENDING' and c.status in ('ACCEPTED', 'RUNNING')
                      and (t.branch = 'main' or c.failure_detected_at is not null)
                      and (not t.needs_approval or t.approved_at is not null)
                      and not exists (select 1 from task_dependency d join task u on u.id = d.depends_on
                                      where d.task_id = t.id
                                        and (u.status not in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED')
                                             or u.finished_at > now() - interval '5 seconds'))
                      and t.created_at < now() - interval '5 seconds'
                    limit ?""")) {
                ps.setInt(1, config.batch());
                List<UUID> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getObject(1, UUID.class));
                    }
                }
                return out;
            }
        });
        if (!stalled.isEmpty()) {
            metrics.repaired("stalled_cycle_advanced", stalled.size());
            advancer.advance(stalled);
        }
    }

    private List<String> activeQueues() {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select distinct queue from task where status in ('QUEUED', 'RUNNING')");
                 ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            }
        });
    }
}
