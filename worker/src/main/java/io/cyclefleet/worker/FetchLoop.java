package io.cyclefleet.worker;

import io.cyclefleet.db.Backoff;
import io.cyclefleet.db.StoreException;
import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskAttempt;
import io.cyclefleet.task.TaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/** Fetches deliveries of one queue, claims them in Postgres, and hands the claimed ones to the executor. */
final class FetchLoop implements Runnable {

    private static final Logger LOG = Logger.getLogger(FetchLoop.class);

    private final String queueName;
    private final String workerId;
    private final RedisTaskQueue queue;
    private final TaskStore store;
    private final InFlight inFlight;
    private final int maxFetch;
    private final Duration lease;
    private final Duration block;
    private final ExecutorService executor;
    private final Consumer<TaskRun> runner;
    private final WorkerMetrics metrics;
    private final BooleanSupplier paused;
    private volatile boolean stopping;
    private long claimSentNanos;

    FetchLoop(String queueName, String workerId, RedisTaskQueue queue, TaskStore store, InFlight inFlight, int maxFetch,
              Duration lease, Duration block, ExecutorService executor, Consumer<TaskRun> runner, WorkerMetrics metrics,
              BooleanSupplier paused) {
        this.queueName = queueName;
        this.workerId = workerId;
        this.queue = queue;
        this.store = store;
        this.inFlight = inFlight;
        this.maxFetch = maxFetch;
        this.lease = lease;
        this.block = block;
        this.executor = executor;
        this.runner = runner;
        this.metrics = metrics;
        this.paused = paused;
    }

    void stop() {
        stopping = true;
    }

    @Override
    public void run() {
        Backoff backoff = new Backoff();
        while (!stopping) {
            try {
                if (paused.getAsBoolean()) {
                    // a hung handler holds a thread: take no work that could wait behind it
                    inFlight.awaitChange(block.toMillis());
                    continue;
                }
                int permits = inFlight.acquireUpTo(maxFetch, block.toMillis());
                if (permits == 0) {
                    continue;
                }
                if (paused.getAsBoolean()) { // a handler started hanging while this loop waited for permits
                    inFlight.release(permits);
                    continue;
                }
                List<Delivery> got = List.of();
                try {
                    got = stopping ? List.of() : queue.fetch(queueName, workerId, permits, block);
                } finally {
                    inFlight.release(permits - got.size());
                    inFlight.takeOverdraft(got.size() - permits);
                }
                if (!got.isEmpty()) {
                    start(got);
                }
                backoff.reset();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                metrics.fetchFailed(queueName);
                LOG.warnf("fetch from queue %s failed (%s); retrying in %d ms", queueName, e.toString(), backoff.nextMillis());
                if (!backoff.pause()) {
                    return;
                }
            }
        }
    }

    /**
     * Claims, retrying with backoff while Postgres refuses (deadlock victim, outage): the deliveries are
     * already ours on Redis, and leaving them would delay them until the orphan sweep. Returns null only
     * when the loop is stopping.
     */
    private List<ClaimedTask> claimHolding(List<Delivery> valid) {
        Backoff backoff = new Backoff();
        boolean retry = false;
        while (true) {
            try {
                claimSentNanos = System.nanoTime(); // the leases run from about here
                // on a retry the failed claim may have committed: its rows, RUNNING for this worker, are ours
                return store.claim(workerId, valid, lease, retry);
            } catch (StoreException e) {
                retry = true;
                LOG.warnf("claiming %d task(s) failed (%s); retrying in %d ms", valid.size(), e.getMessage(), backoff.nextMillis());
                if (stopping || !backoff.pause()) {
                    return null;
                }
            }
        }
    }

    /**
     * Claims the deliveries (one permit held for each) and starts the claimed ones; a started run keeps its
     * permit until its result is committed.
     */
    private void start(List<Delivery> got) {
        Map<Long, Delivery> byTask = new HashMap<>();
        List<Delivery> rejected = new ArrayList<>();
        for (Delivery d : got) {
            if (d.taskId() <= 0 || d.attempt() <= 0) {
                rejected.add(d); // malformed
                continue;
            }
            if (inFlight.holds(new TaskAttempt(d.taskId(), d.attempt()))) {
                // a second message of an attempt this worker already runs (a re-send): claiming it again would
                // succeed (a claim recognises the worker's own row) and run the attempt twice
                rejected.add(d);
                continue;
            }
            // Two copies of one task in a fetch: keep the higher attempt (attempts only grow; the lower
            // one is stale), so a stale copy can never make the live one be dropped.
            Delivery other = byTask.putIfAbsent(d.taskId(), d);
            if (other != null) {
                if (d.attempt() > other.attempt()) {
                    byTask.put(d.taskId(), d);
                    rejected.add(other);
                } else {
                    rejected.add(d);
                }
            }
        }
        List<Delivery> valid = got.stream().filter(d -> byTask.get(d.taskId()) == d).toList();
        List<ClaimedTask> claimed = valid.isEmpty() ? List.of() : claimHolding(valid);
        if (claimed == null) {
            inFlight.release(got.size());
            return; // stopping: the deliveries stay pending and the orphan sweep resends them
        }
        // Start in delivery order (priority first, then FIFO); the claim returns rows in no particular order.
        Map<Long, ClaimedTask> claimedById = new HashMap<>();
        claimed.forEach(t -> claimedById.put(t.id(), t));
        List<TaskRun> runs = new ArrayList<>(claimed.size());
        for (Delivery d : valid) {
            ClaimedTask t = claimedById.get(d.taskId());
            if (t != null) {
                metrics.claimed(t);
                runs.add(new TaskRun(t, byTask.remove(t.id()), claimSentNanos));
            }
        }
        rejected.addAll(byTask.values());
        if (!rejected.isEmpty()) {
            metrics.staleDeliveries(queueName, rejected.size());
            inFlight.release(rejected.size());
            LOG.debugf("dropping %d stale, duplicate or malformed deliveries", rejected.size());
            try {
                queue.drop(rejected);
            } catch (RuntimeException e) {
                LOG.debugf("could not drop rejected deliveries: %s", e);
            }
        }
        for (TaskRun run : runs) {
            inFlight.add(run);
            executor.execute(() -> runner.accept(run));
        }
    }
}
