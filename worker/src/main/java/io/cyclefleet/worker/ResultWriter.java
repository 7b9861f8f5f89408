package io.cyclefleet.worker;

import io.cyclefleet.db.Backoff;
import io.cyclefleet.db.StoreException;
import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.TaskOutcome;
import io.cyclefleet.task.TaskStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Writes results in batches: whatever finished while the previous batch was being written goes into the
 * next single statement. Late acknowledgement: a delivery is acknowledged on Redis only after its result
 * is committed in Postgres. While Postgres is unreachable the batch is retried with backoff and the
 * worker's permits stay taken, so it stops fetching rather than losing results.
 */
final class ResultWriter implements Runnable {

    private static final Logger LOG = Logger.getLogger(ResultWriter.class);

    record Finished(TaskRun run, TaskOutcome outcome) {
    }

    private final LinkedBlockingQueue<Finished> pending = new LinkedBlockingQueue<>();
    private final String workerId;
    private final TaskStore store;
    private final RedisTaskQueue queue;
    private final InFlight inFlight;
    private final int maxBatch;
    private final WorkerMetrics metrics;
    private volatile boolean stopping;

    ResultWriter(String workerId, TaskStore store, RedisTaskQueue queue, InFlight inFlight, int maxBatch, WorkerMetrics metrics) {
        this.workerId = workerId;
        this.store = store;
        this.queue = queue;
        this.inFlight = inFlight;
        this.maxBatch = maxBatch;
        this.metrics = metrics;
    }

    void submit(TaskRun run, TaskOutcome outcome) {
        pending.add(new Finished(run, outcome));
    }

    /** Finishes writing what is pending, then ends the loop. */
    void stop() {
        stopping = true;
    }

    @Override
    public void run() {
        List<Finished> batch = new ArrayList<>(maxBatch);
        while (!stopping || !pending.isEmpty()) {
            try {
                Finished first = pending.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                pending.drainTo(batch, maxBatch - 1);
                write(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void write(List<Finished> batch) throws InterruptedException {
        List<TaskOutcome> outcomes = batch.stream().map(Finished::outcome).toList();
        TaskStore.Completion completion = null;
        Backoff backoff = new Backoff();
        while (completion == null) {
            try {
                completion = store.complete(workerId, outcomes);
            } catch (StoreException e) {
                LOG.warnf("could not write %d result(s) to Postgres (%s); retrying in %d ms", batch.size(), e.getMessage(), backoff.nextMillis());
                if (!backoff.pause()) {
                    throw new InterruptedException("stopped while waiting for Postgres");
                }
            }
        }
        List<Delivery> deliveries = new ArrayList<>(batch.size());
        for (Finished f : batch) {
            deliveries.add(f.run().delivery);
            boolean accepted = completion.accepted().contains(f.outcome().taskId());
            metrics.completed(f.run().task.kind(), accepted ? f.outcome().status().name() : "REJECTED");
        }
        try {
            queue.acknowledge(deliveries, completion.cycles());
        } catch (RuntimeException e) {
            // The results are durable; unacknowledged entries are dropped by the orphan sweep and the
            // reconciler advances the cycles without the notices.
            LOG.warnf("results committed but Redis acknowledgement failed: %s", e.toString());
        }
        for (Finished f : batch) {
            inFlight.done(f.run());
        }
    }
}
