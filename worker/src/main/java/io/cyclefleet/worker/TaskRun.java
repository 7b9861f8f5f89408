package io.cyclefleet.worker;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskAttempt;
import java.time.Instant;

/**
 * One claimed task on this worker, from claim until its result is committed. Interrupts (timeout, lost
 * lease, drain) are only delivered while the handler runs, so a pooled thread never carries a stale one
 * into its next task.
 */
final class TaskRun {

    enum State { WAITING, RUNNING, FINISHED, HANDED_BACK }

    final ClaimedTask task;
    final Delivery delivery;
    final TaskAttempt key;
    private State state = State.WAITING;
    private Instant startedAt;
    private Instant finishedAt;
    private Thread thread;
    private String interruptReason;

    TaskRun(ClaimedTask task, Delivery delivery) {
        this.task = task;
        this.delivery = delivery;
        this.key = new TaskAttempt(task.id(), task.attempt());
    }

    synchronized boolean start() {
        if (state != State.WAITING) {
            return false;
        }
        state = State.RUNNING;
        thread = Thread.currentThread();
        startedAt = Instant.now();
        return true;
    }

    /** Marks the handler done and clears an interrupt that raced with its return. Returns the interrupt reason, if any. */
    synchronized String finish() {
        state = State.FINISHED;
        finishedAt = Instant.now();
        thread = null;
        Thread.interrupted();
        return interruptReason;
    }

    synchronized void interrupt(String reason) {
        if (state == State.RUNNING && thread != null) {
            if (interruptReason == null) {
                interruptReason = reason;
            }
            thread.interrupt();
        }
    }

    /** How long the handler ran; null unless it started and finished. */
    synchronized java.time.Duration ran() {
        return startedAt == null || finishedAt == null ? null : java.time.Duration.between(startedAt, finishedAt);
    }

    synchronized String interruptReason() {
        return interruptReason;
    }

    /** Takes a task that has not started yet away from the executor, to hand it back. */
    synchronized boolean takeForHandBack() {
        if (state != State.WAITING) {
            return false;
        }
        state = State.HANDED_BACK;
        return true;
    }

    synchronized boolean isRunning() {
        return state == State.RUNNING;
    }

    /**
     * Whether the heartbeat should renew this run's lease: waiting or running, but not a handler that
     * overran its timeout by more than {@code grace} without stopping (its lease must then expire so
     * that the task is redelivered instead of being held forever).
     */
    synchronized boolean wantsLease(Instant now, java.time.Duration grace) {
        return state == State.WAITING
                || state == State.RUNNING && startedAt.plus(task.timeout()).plus(grace).isAfter(now);
    }
}
