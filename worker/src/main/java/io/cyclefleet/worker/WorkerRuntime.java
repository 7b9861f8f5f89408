package io.cyclefleet.worker;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.QueuedTask;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskDispatcher;
import io.cyclefleet.task.TaskOutcome;
import io.cyclefleet.task.TaskStore;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Wires one worker process and keeps it safe:
 * <ul>
 * <li>fetch loops (one per queue), a fixed pool of task threads, the result writer;</li>
 * <li>the heartbeat, which renews the leases of exactly the attempts this worker runs and interrupts those it
 *     no longer holds;</li>
 * <li>the watchdog, on the monotonic clock: a run whose lease has not been renewed for lease - 2 x heartbeat
 *     (Postgres unreachable, the worker paused or cut off) is fenced — stopped, with the processes it started —
 *     before the reconciler can give the task to another worker, and claimed tasks that have not started are
 *     handed back instead of started; a handler that ignores interruption past its timeout plus hang-grace is
 *     handed back and makes the worker not ready until it returns;</li>
 * <li>the drain on SIGTERM: stop fetching, hand back what has not started at once, let running tasks finish
 *     within the drain timeout, then interrupt them and let their hand-backs be written — interrupted first,
 *     handed back after, so that attempt k+1 never starts while attempt k still runs.</li>
 * </ul>
 */
@ApplicationScoped
public class WorkerRuntime {

    private static final Logger LOG = Logger.getLogger(WorkerRuntime.class);

    private final WorkerConfig config;
    private final RedisTaskQueue queue;
    private final TaskStore store;
    private final TaskDispatcher dispatcher;
    private final TaskExecutor taskExecutor;
    private final WorkerRegistry registry;
    private final WorkerMetrics metrics;

    private WorkerIdentity identity;
    private InFlight inFlight;
    private ResultWriter writer;
    private Thread writerThread;
    private ExecutorService pool;
    private ScheduledExecutorService timers;
    private ScheduledExecutorService heartbeat;
    /** Hand-backs the watchdog and the heartbeat decide on: Postgres and Redis calls, kept off their threads. */
    private ExecutorService handBacks;
    private final List<FetchLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    /** Runs abandoned as hung whose threads have not returned: the worker is not ready while there are any. */
    private final Set<TaskRun> hung = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    public WorkerRuntime(WorkerConfig config, RedisTaskQueue queue, TaskStore store, TaskDispatcher dispatcher,
                         TaskExecutor taskExecutor, WorkerRegistry registry, WorkerMetrics metrics) {
        this.config = config;
        this.queue = queue;
        this.store = store;
        this.dispatcher = dispatcher;
        this.taskExecutor = taskExecutor;
        this.registry = registry;
        this.metrics = metrics;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.lease().compareTo(config.heartbeat().multipliedBy(3)) < 0) {
            throw new IllegalStateException("cyclefleet.worker.lease (" + config.lease() + ") must be at least 3 x cyclefleet.worker.heartbeat ("
                    + config.heartbeat() + "): a run is fenced when its lease has not been renewed for lease - 2 x heartbeat");
        }
        identity = WorkerIdentity.of(config);
        inFlight = new InFlight(config.concurrency() + config.prefetch());
        pool = Executors.newFixedThreadPool(config.concurrency(), named("task"));
        timers = Executors.newSingleThreadScheduledExecutor(named("task-timeout"));
        writer = new ResultWriter(identity.id(), store, queue, dispatcher, inFlight, config.resultBatch(), metrics);
        writerThread = start(writer, "result-writer");
        for (String q : config.queues()) {
            try {
                queue.ensureQueue(q);
            } catch (RuntimeException e) {
                LOG.warnf("could not prepare queue %s yet (%s); the fetch loop retries", q, e.toString());
            }
            FetchLoop loop = new FetchLoop(q, identity.id(), queue, store, inFlight, config.concurrency() + config.prefetch(),
                    config.lease(), config.fetchBlock(), pool, this::runTask, metrics, () -> !hung.isEmpty());
            loops.add(loop);
            start(loop, "fetch-" + q);
        }
        metrics.bind(inFlight::size, config.concurrency(), () -> draining, hung::size, taskExecutor.kinds(), config.queues());
        handBacks = Executors.newSingleThreadExecutor(named("hand-back"));
        heartbeat = Executors.newScheduledThreadPool(2, named("heartbeat"));
        heartbeat.scheduleWithFixedDelay(this::beat, 0, config.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
        // its own thread: a heartbeat stuck on a dead connection must not keep the watchdog from fencing
        long watch = Math.max(50, Math.min(250, config.heartbeat().toMillis() / 4));
        heartbeat.scheduleWithFixedDelay(this::watch, watch, watch, TimeUnit.MILLISECONDS);
        LOG.infof("worker %s started: queues=%s concurrency=%d prefetch=%d lease=%s", identity.id(), config.queues(),
                config.concurrency(), config.prefetch(), config.lease());
    }

    private Duration fenceAfter() {
        return config.lease().minus(config.heartbeat().multipliedBy(2));
    }

    private void runTask(TaskRun run) {
        if (run.sinceRenewal(System.nanoTime()).compareTo(fenceAfter()) > 0) {
            return; // its lease may be gone (the worker was paused, say): the watchdog hands it back, unstarted
        }
        if (!run.start()) {
            return; // handed back before it started
        }
        metrics.started(run.task);
        TaskOutcome outcome = taskExecutor.execute(run, identity.id(), timers);
        if (outcome == null) {
            // abandoned as hung while it ran, and handed back then: nothing to write, its permit is free again
            hung.remove(run);
            inFlight.done(run);
            LOG.infof("hung task %d attempt %d returned at last; the worker is ready again", run.task.id(), run.task.attempt());
            return;
        }
        writer.submit(run, outcome);
    }

    private void beat() {
        long sent = System.nanoTime();
        // Snapshot first: a run claimed after this point is not judged by this beat (its claim may
        // commit after the renewal statement has read the table).
        List<TaskRun> renew = inFlight.runs().stream().filter(r -> r.wantsLease(sent, config.hangGrace())).toList();
        try {
            TaskStore.Renewal renewal = store.extendLeases(identity.id(), renew.stream().map(r -> r.key).toList(), config.lease());
            List<TaskRun> gone = new ArrayList<>();
            for (TaskRun run : renew) {
                if (renewal.held().contains(run.key)) {
                    run.renewed(sent);
                } else if (renewal.busy().contains(run.key)) {
                    continue; // its row was locked (its result being written, say): judged at the next beat
                } else if (run.takeForHandBack()) {
                    gone.add(run); // claimed, not started, and no longer ours (cancelled or redelivered): never start it
                } else if (run.interrupt(TaskRun.Stop.LEASE_LOST, "lease lost: the task was cancelled or given to another worker")) {
                    LOG.warnf("lost the lease of task %d attempt %d (cancelled or redelivered); interrupted it", run.task.id(), run.task.attempt());
                }
            }
            if (!gone.isEmpty()) {
                handBacks.execute(() -> forget(gone));
            }
        } catch (RuntimeException e) {
            LOG.warnf("heartbeat could not renew leases: %s", e.toString());
        }
        try {
            registry.beat(identity, draining ? WorkerRegistry.Status.DRAINING : WorkerRegistry.Status.LIVE, inFlight.size());
        } catch (RuntimeException e) {
            LOG.debugf("could not write the heartbeat row: %s", e);
        }
    }

    /** The watchdog: fences runs whose lease may be gone, and gives up on handlers that ignore interruption. */
    private void watch() {
        try {
            long now = System.nanoTime();
            Duration fenceAfter = fenceAfter();
            List<TaskRun> unstarted = new ArrayList<>();
            for (TaskRun run : inFlight.runs()) {
                Duration silent = run.sinceRenewal(now);
                if (silent.compareTo(fenceAfter) > 0 && !run.abandoned()) {
                    if (run.takeForHandBack()) {
                        unstarted.add(run);
                    } else if (run.interrupt(TaskRun.Stop.FENCED, "lease not renewed for " + silent.toMillis() + " ms (Postgres unreachable, "
                            + "or this worker paused or cut off): stopped with its processes before the lease could pass to another worker")) {
                        LOG.warnf("fenced task %d attempt %d: its lease was last renewed %d ms ago (lease %s)", run.task.id(),
                                run.task.attempt(), silent.toMillis(), config.lease());
                    }
                }
                Duration overrun = run.overrun(now);
                if (overrun != null && overrun.compareTo(config.hangGrace()) > 0) {
                    abandonHung(run, overrun);
                }
            }
            if (!unstarted.isEmpty()) {
                handBacks.execute(() -> handBack(unstarted, "handed back unstarted: its lease on worker " + identity.id() + " could not be renewed"));
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "watchdog pass failed");
        }
    }

    /**
     * A handler running past its timeout plus hang-grace that ignores interruption: hand its task back now
     * (counted as a lease loss, so a task that hangs every worker ends as poison), hand back what waits behind it,
     * fetch nothing and report not ready until its thread returns. Its intents stay open: a successor acting on
     * the same target waits until their act_until.
     */
    private void abandonHung(TaskRun run, Duration overrun) {
        hung.add(run); // before the state changes: a handler returning right after must find it here to remove it
        if (!run.abandon()) {
            hung.remove(run);
            return;
        }
        String reason = "handler hung: still running " + overrun.toSeconds() + " s after its timeout of " + run.task.timeout()
                + " and ignoring interruption on worker " + identity.id();
        LOG.errorf("task %d attempt %d (%s, step %s of cycle %s) %s; handing it back, the worker is not ready until it returns",
                run.task.id(), run.task.attempt(), run.task.kind(), run.task.key(), run.task.cycleId(), reason);
        List<TaskRun> waiting = inFlight.runs().stream().filter(TaskRun::takeForHandBack).toList();
        handBacks.execute(() -> {
            try {
                TaskStore.Completion c = store.abandon(identity.id(), run.key, reason);
                dispatcher.dispatch(c.requeued());
                queue.acknowledge(List.of(run.delivery), c.cycles());
            } catch (RuntimeException e) {
                LOG.warnf("could not hand back hung task %d (%s); its lease expires instead", run.task.id(), e.toString());
            }
            handBack(waiting, "handed back unstarted: a handler hangs on worker " + identity.id());
        });
        inFlight.changed();
    }

    public boolean draining() {
        return draining;
    }

    /** "task 12 attempt 2 (kind sleep)" for each hung handler; empty when none hangs. */
    public List<String> hungTasks() {
        return hung.stream().map(r -> "task " + r.task.id() + " attempt " + r.task.attempt() + " (" + r.task.kind() + ")").sorted().toList();
    }

    public String id() {
        return identity == null ? null : identity.id();
    }

    void onStop(@Observes ShutdownEvent event) {
        drain();
    }

    synchronized void drain() {
        if (draining || identity == null) {
            return;
        }
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        draining = true;
        LOG.infof("worker %s draining: %d task(s) in flight, up to %s", identity.id(), inFlight.size(), config.drainTimeout());
        beat();
        loops.forEach(FetchLoop::stop);
        for (Thread t : threads) {
            if (t.getName().startsWith("fetch-")) {
                join(t, config.fetchBlock().plusSeconds(2));
            }
        }
        List<TaskRun> waiting = inFlight.runs().stream().filter(TaskRun::takeForHandBack).toList();
        handBack(waiting, "handed back unstarted: worker " + identity.id() + " is draining");

        await(TaskRun::isRunning, deadline);
        List<TaskRun> running = inFlight.runs().stream().filter(TaskRun::isRunning).toList();
        // Interrupted first; each one's hand-back (next attempt, not counted against it) is written by the result
        // writer once its handler has returned and its processes are stopped — never before.
        running.forEach(r -> r.interrupt(TaskRun.Stop.DRAINED, "interrupted: worker " + identity.id() + " drained after " + config.drainTimeout()));
        await(r -> !r.abandoned(), System.nanoTime() + config.stopGrace().toNanos());
        List<TaskRun> stuck = inFlight.runs().stream().filter(TaskRun::isRunning).toList();
        for (TaskRun r : stuck) {
            LOG.errorf("task %d attempt %d (%s) did not stop within %s of its interrupt; not handed back: its lease expires and it "
                    + "is redelivered once this worker is gone", r.task.id(), r.task.attempt(), r.task.kind(), config.stopGrace());
        }
        writer.stop();
        join(writerThread, Duration.ofSeconds(5));
        heartbeat.shutdownNow(); // the watchdog too: nothing more is handed back from here on
        handBacks.shutdown();
        try {
            handBacks.awaitTermination(5, TimeUnit.SECONDS); // the last hand-backs it was given
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Everything it held is acknowledged or handed back; its consumer entry has no further use.
        config.queues().forEach(q -> queue.removeConsumer(q, identity.id()));
        pool.shutdownNow();
        timers.shutdownNow();
        handBacks.shutdownNow();
        try {
            registry.beat(identity, WorkerRegistry.Status.GONE, inFlight.size());
        } catch (RuntimeException e) {
            LOG.warnf("could not record that worker %s stopped: %s", identity.id(), e.toString());
        }
        LOG.infof("worker %s drained: %d handed back unstarted, %d interrupted, %d did not stop", identity.id(), waiting.size(),
                running.size(), stuck.size());
    }

    /** Drops claimed runs that are no longer this worker's and never started: acknowledged on Redis, forgotten here. */
    private void forget(List<TaskRun> runs) {
        try {
            queue.drop(runs.stream().map(r -> r.delivery).toList());
        } catch (RuntimeException e) {
            LOG.debugf("could not drop %d deliveries (the orphan sweep will): %s", runs.size(), e);
        }
        runs.forEach(inFlight::done);
    }

    /** Hands back claimed runs that never started (same attempt); if Postgres refuses, their leases expire instead. */
    private void handBack(List<TaskRun> runs, String reason) {
        if (runs.isEmpty()) {
            return;
        }
        try {
            List<ClaimedTask> tasks = runs.stream().map(r -> r.task).toList();
            List<QueuedTask> queued = store.handBackUnstarted(identity.id(), tasks, reason);
            dispatcher.dispatch(queued);
        } catch (RuntimeException e) {
            // The leases then expire and the reaper redelivers: slower, but nothing is lost.
            LOG.warnf("could not hand back %d task(s): %s", runs.size(), e.toString());
        }
        try {
            List<Delivery> deliveries = runs.stream().map(r -> r.delivery).toList();
            queue.drop(deliveries);
        } catch (RuntimeException e) {
            LOG.debugf("could not drop %d handed-back deliveries (the orphan sweep will): %s", runs.size(), e);
        }
        runs.forEach(inFlight::done);
    }

    private void await(java.util.function.Predicate<TaskRun> which, long deadlineNanos) {
        try {
            inFlight.awaitNone(which, deadlineNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t, Duration max) {
        try {
            t.join(max.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Thread start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return t;
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
