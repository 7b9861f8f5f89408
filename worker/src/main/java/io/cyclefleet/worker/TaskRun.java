package io.cyclefleet.worker;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskAttempt;
import java.time.Duration;

/**
 * One claimed task on this worker, from claim until its result is committed. Interrupts (timeout, lost
 * lease, fence, drain) are only delivered while the handler runs, so a pooled thread never carries a stale one
 * into its next task. Times are on the monotonic clock: a skewed or jumping wall clock cannot fence a run early
 * or keep one alive.
 */
final class TaskRun {

    enum State { WAITING, RUNNING, FINISHED, HANDED_BACK, ABANDONED }

    /**
     * Why a run was stopped. Only TIMEOUT is the handler's verdict (its step's timeout); the rest are faults,
     * after which the task goes back to the queue without spending an attempt.
     */
    enum Stop {
        TIMEOUT(false, false),
        /** The heartbeat found the attempt no longer held: cancelled, or redelivered after a pause. */
        LEASE_LOST(true, true),
        /** No lease renewal for too long (Postgres unreachable, the worker paused or cut off): stopped before the lease expires. */
        FENCED(true, true),
        /** The worker drains (SIGTERM) and the run outlived the drain timeout. */
        DRAINED(true, false);

        final boolean fault;
        final boolean leaseLoss;

        Stop(boolean fault, boolean leaseLoss) {
            this.fault = fault;
            this.leaseLoss = leaseLoss;
        }
    }

    record Interruption(Stop cause, String reason) {
    }

    final ClaimedTask task;
    final Delivery delivery;
    final TaskAttempt key;
    private State state = State.WAITING;
    private long startedNanos;
    private long finishedNanos;
    /** When the last claim or renewal statement that covered this run was sent (its lease runs from about then). */
    private long renewedNanos;
    private Thread thread;
    private Interruption interruption;

    TaskRun(ClaimedTask task, Delivery delivery, long claimSentNanos) {
        this.task = task;
        this.delivery = delivery;
        this.key = new TaskAttempt(task.id(), task.attempt());
        this.renewedNanos = claimSentNanos;
    }

    synchronized boolean start() {
        if (state != State.WAITING) {
            return false;
        }
        state = State.RUNNING;
        thread = Thread.currentThread();
        startedNanos = System.nanoTime();
        return true;
    }

    /**
     * Marks the handler done and clears an interrupt that raced with its return. Returns why it was interrupted,
     * if it was; a run abandoned meanwhile (handed back as hung) reports that too, and its outcome is not written.
     */
    synchronized Interruption finish() {
        if (state == State.RUNNING) {
            state = State.FINISHED;
        }
        finishedNanos = System.nanoTime();
        thread = null;
        Thread.interrupted();
        return interruption;
    }

    synchronized boolean abandoned() {
        return state == State.ABANDONED;
    }

    /**
     * Interrupts the handler (the first cause given is kept). Does nothing unless it runs. Returns true when this
     * was its first interruption.
     */
    synchronized boolean interrupt(Stop cause, String reason) {
        if (state != State.RUNNING || thread == null) {
            return false;
        }
        boolean first = interruption == null;
        if (first) {
            interruption = new Interruption(cause, reason);
        }
        thread.interrupt();
        return first;
    }

    /** How long the handler ran; null unless it started and finished. */
    synchronized Duration ran() {
        return startedNanos == 0 || finishedNanos == 0 ? null : Duration.ofNanos(finishedNanos - startedNanos);
    }

    /** Takes a task that has not started yet away from the executor, to hand it back. */
    synchronized boolean takeForHandBack() {
        if (state != State.WAITING) {
            return false;
        }
        state = State.HANDED_BACK;
        return true;
    }

    /** Gives up on a handler that ignores interruption: it is handed back while its thread still runs. */
    synchronized boolean abandon() {
        if (state != State.RUNNING) {
            return false;
        }
        state = State.ABANDONED;
        return true;
    }

    synchronized boolean isRunning() {
        return state == State.RUNNING;
    }

    synchronized boolean isWaiting() {
        return state == State.WAITING;
    }

    /** A renewal sent at {@code sentNanos} covered this run. */
    synchronized void renewed(long sentNanos) {
        renewedNanos = Math.max(renewedNanos, sentNanos);
    }

    /** How long ago the last claim or renewal covering this run was sent. */
    synchronized Duration sinceRenewal(long nowNanos) {
        return Duration.ofNanos(nowNanos - renewedNanos);
    }

    /** How far past its timeout the handler runs (zero or negative while within it); null unless running. */
    synchronized Duration overrun(long nowNanos) {
        return state != State.RUNNING ? null : Duration.ofNanos(nowNanos - startedNanos).minus(task.timeout());
    }

    /**
     * Whether the heartbeat should renew this run's lease: waiting, running, or finished with its outcome not yet
     * written (Postgres slow or briefly away), but not a handler that overran its timeout by more than {@code grace}
     * without stopping (it is handed back as hung) nor one abandoned or handed back.
     */
    synchronized boolean wantsLease(long nowNanos, Duration grace) {
        return state == State.WAITING || state == State.FINISHED
                || state == State.RUNNING && Duration.ofNanos(nowNanos - startedNanos).compareTo(task.timeout().plus(grace)) <= 0;
    }
}
