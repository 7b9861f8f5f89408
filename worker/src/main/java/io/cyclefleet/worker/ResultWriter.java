package io.cyclefleet.worker;

import io.cyclefleet.db.Backoff;
import io.cyclefleet.db.StoreException;
import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.task.TaskDispatcher;
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
    private final TaskDispatcher dispatcher;
    private final InFlight inFlight;
    private final int maxBatch;
    private final WorkerMetrics metrics;
    private volatile boolean stopping;

    ResultWriter(String workerId, TaskStore store, RedisTaskQueue queue, TaskDispatcher dispatcher, InFlight inFlight, int maxBatch,
                 WorkerMetrics metrics) {
        this.workerId = workerId;
        this.store = store;
        this.queue = queue;
        this.dispatcher = dispatcher;
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
            } catch (RuntimeException e) {
                // never let the writer die: its runs keep permits and leases until it writes them
                LOG.errorf(e, "result writer failed on a batch of %d; their leases will expire and be redelivered", batch.size());
                batch.forEach(f -> inFlight.done(f.run()));
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Commits the batch, retrying while the failure is transient (outage, deadlock). A failure that is
     * not transient is a row Postgres refuses: the rows are then written one by one and a refused one is
     * recorded as FAILED with the reason, so one bad result cannot block the rest.
     */
    private TaskStore.Completion commit(List<TaskOutcome> outcomes) throws InterruptedException {
        Backoff backoff = new Backoff();
        while (true) {
            try {
                return store.complete(workerId, outcomes);
            } catch (StoreException e) {
                if (!e.isTransient()) {
                    return outcomes.size() == 1 ? refused(outcomes.get(0), e) : oneByOne(outcomes);
                }
                LOG.warnf("could not write %d result(s) to Postgres (%s); retrying in %d ms", outcomes.size(), e.getMessage(), backoff.nextMillis());
                if (!backoff.pause()) {
                    throw new InterruptedException("stopped while waiting for Postgres");
                }
            }
        }
    }

    private TaskStore.Completion oneByOne(List<TaskOutcome> outcomes) throws InterruptedException {
        java.util.Set<Long> accepted = new java.util.HashSet<>();
        java.util.Set<java.util.UUID> cycles = new java.util.LinkedHashSet<>();
        List<io.cyclefleet.queue.QueuedTask> requeued = new ArrayList<>();
        for (TaskOutcome o : outcomes) {
            TaskStore.Completion c = commit(List.of(o));
            accepted.addAll(c.accepted());
            cycles.addAll(c.cycles());
            requeued.addAll(c.requeued());
        }
        return new TaskStore.Completion(accepted, cycles, requeued);
    }

    private TaskStore.Completion refused(TaskOutcome o, StoreException e) {
        LOG.errorf("Postgres refused the result of task %d attempt %d (%s); recording it as FAILED", o.taskId(), o.attempt(), e.getMessage());
        TaskOutcome failed = TaskOutcome.failure(o.taskId(), o.attempt(), o.cycleId(), io.cyclefleet.task.TaskStatus.FAILED,
                "the result could not be stored: " + e.getMessage(), null);
        try {
            return store.complete(workerId, List.of(failed));
        } catch (StoreException again) {
            LOG.errorf("could not record the failure of task %d either (%s); its lease will expire", o.taskId(), again.getMessage());
            return TaskStore.Completion.NONE;
        }
    }

    private void write(List<Finished> batch) throws InterruptedException {
        List<TaskOutcome> outcomes = batch.stream().map(Finished::outcome).toList();
        TaskStore.Completion completion = commit(outcomes);
        // handed back by a fault: on Redis at once (if that fails, the reconciler sends them after dispatch-grace)
        dispatcher.dispatch(completion.requeued());
        List<Delivery> deliveries = new ArrayList<>(batch.size());
        for (Finished f : batch) {
            deliveries.add(f.run().delivery);
            boolean accepted = completion.accepted().contains(f.outcome().taskId());
            metrics.finished(f.run().task, f.outcome(), accepted, f.run().ran());
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
