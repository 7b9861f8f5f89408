package io.cyclefleet.worker;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.task.ClaimedTask;

/**
 * One claimed task on this worker, from claim until its result is committed. Interrupts (timeout, lost
 * lease, drain) are only delivered while the handler runs, so a pooled thread never carries a stale one
 * into its next task.
 */
final class TaskRun {

    enum State { WAITING, RUNNING, FINISHED, HANDED_BACK }

    final ClaimedTask task;
    final Delivery delivery;
    private State state = State.WAITING;
    private Thread thread;
    private String interruptReason;

    TaskRun(ClaimedTask task, Delivery delivery) {
        this.task = task;
        this.delivery = delivery;
    }

    synchronized boolean start() {
        if (state != State.WAITING) {
            return false;
        }
        state = State.RUNNING;
        thread = Thread.currentThread();
        return true;
    }

    /** Marks the handler done and clears an interrupt that raced with its return. Returns the interrupt reason, if any. */
    synchronized String finish() {
        state = State.FINISHED;
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
}
