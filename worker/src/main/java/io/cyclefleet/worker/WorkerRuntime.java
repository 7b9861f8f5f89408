package io.cyclefleet.worker;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskAttempt;
import io.cyclefleet.task.QueuedTask;
import io.cyclefleet.task.TaskDispatcher;
import io.cyclefleet.task.TaskOutcome;
import io.cyclefleet.task.TaskStore;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Wires one worker process: fetch loops (one per queue), a fixed pool of task threads, the result
 * writer and the heartbeat; and drains gracefully on shutdown (SIGTERM): stop fetching, hand back what
 * has not started at once, let running tasks finish within the drain timeout, hand back the rest.
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
    private final List<FetchLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean draining;
    private volatile Instant lastRenewed = Instant.now();

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
        identity = WorkerIdentity.of(config);
        inFlight = new InFlight(config.concurrency() + config.prefetch());
        pool = Executors.newFixedThreadPool(config.concurrency(), named("task"));
        timers = Executors.newSingleThreadScheduledExecutor(named("task-timeout"));
        writer = new ResultWriter(identity.id(), store, queue, inFlight, config.resultBatch(), metrics);
        writerThread = start(writer, "result-writer");
        for (String q : config.queues()) {
            try {
                queue.ensureQueue(q);
            } catch (RuntimeException e) {
                LOG.warnf("could not prepare queue %s yet (%s); the fetch loop retries", q, e.toString());
            }
            FetchLoop loop = new FetchLoop(q, identity.id(), queue, store, inFlight, config.concurrency() + config.prefetch(),
                    config.lease(), config.fetchBlock(), pool, this::runTask, metrics);
            loops.add(loop);
            start(loop, "fetch-" + q);
        }
        metrics.bind(inFlight::size, config.concurrency(), () -> draining, taskExecutor.kinds(), config.queues());
        heartbeat = Executors.newSingleThreadScheduledExecutor(named("heartbeat"));
        heartbeat.scheduleWithFixedDelay(this::beat, 0, config.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
        LOG.infof("worker %s started: queues=%s concurrency=%d prefetch=%d lease=%s", identity.id(), config.queues(),
                config.concurrency(), config.prefetch(), config.lease());
    }

    private void runTask(TaskRun run) {
        if (!run.start()) {
            return; // handed back before it started
        }
        metrics.started(run.task);
        TaskOutcome outcome = taskExecutor.execute(run, timers);
        writer.submit(run, outcome);
    }

    private void beat() {
        Instant now = Instant.now();
        // Snapshot first: a run claimed after this point is not judged by this beat (its claim may
        // commit after the renewal statement has read the table).
        List<TaskRun> renew = inFlight.runs().stream().filter(r -> r.wantsLease(now, config.heartbeat().multipliedBy(2))).toList();
        try {
            Set<TaskAttempt> held = store.extendLeases(identity.id(), renew.stream().map(r -> r.key).toList(), config.lease());
            lastRenewed = now;
            for (TaskRun run : renew) {
                if (run.isRunning() && !held.contains(run.key)) {
                    LOG.warnf("lost the lease of task %d attempt %d (cancelled or redelivered); interrupting it", run.task.id(), run.task.attempt());
                    run.interrupt("lease lost: the task was cancelled or given to another worker");
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("heartbeat could not renew leases: %s", e.toString());
            if (Duration.between(lastRenewed, now).compareTo(config.lease().minus(config.heartbeat())) > 0) {
                // Our leases may have expired and been given to other workers: stop rather than run twice.
                inFlight.runs().forEach(r -> r.interrupt("lease not renewed for " + Duration.between(lastRenewed, now).toSeconds()
                        + " s (Postgres unreachable); stopped so that the task is not run twice"));
            }
        }
        try {
            registry.beat(identity, draining ? WorkerRegistry.Status.DRAINING : WorkerRegistry.Status.LIVE, inFlight.size());
        } catch (RuntimeException e) {
            LOG.debugf("could not write the heartbeat row: %s", e);
        }
    }

    public boolean draining() {
        return draining;
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
        Instant deadline = Instant.now().plus(config.drainTimeout());
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
        handBack(waiting, false, "handed back unstarted: worker " + identity.id() + " is draining");

        awaitEmpty(deadline);
        List<TaskRun> running = inFlight.runs().stream().filter(TaskRun::isRunning).toList();
        if (!running.isEmpty()) {
            handBack(running, true, "interrupted: worker " + identity.id() + " drained after " + config.drainTimeout());
            running.forEach(r -> r.interrupt("worker drained"));
        }
        writer.stop();
        join(writerThread, Duration.ofSeconds(5));
        // Everything it held is acknowledged or handed back; its consumer entry has no further use.
        config.queues().forEach(q -> queue.removeConsumer(q, identity.id()));
        pool.shutdownNow();
        timers.shutdownNow();
        heartbeat.shutdownNow();
        try {
            registry.beat(identity, WorkerRegistry.Status.GONE, inFlight.size());
        } catch (RuntimeException e) {
            LOG.warnf("could not record that worker %s stopped: %s", identity.id(), e.toString());
        }
        LOG.infof("worker %s drained: %d handed back unstarted, %d handed back while running",
                identity.id(), waiting.size(), running.size());
    }

    private void handBack(List<TaskRun> runs, boolean started, String reason) {
        if (runs.isEmpty()) {
            return;
        }
        try {
            List<ClaimedTask> tasks = runs.stream().map(r -> r.task).toList();
            List<QueuedTask> queued = store.handBack(identity.id(), tasks, started, reason);
            dispatcher.dispatch(queued);
            List<Delivery> deliveries = runs.stream().map(r -> r.delivery).toList();
            queue.drop(deliveries);
        } catch (RuntimeException e) {
            // The leases then expire and the reaper redelivers: slower, but nothing is lost.
            LOG.warnf("could not hand back %d task(s): %s", runs.size(), e.toString());
        }
        runs.forEach(inFlight::done);
    }

    private void awaitEmpty(Instant deadline) {
        try {
            inFlight.awaitEmpty(deadline);
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
