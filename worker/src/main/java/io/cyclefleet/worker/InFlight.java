package io.cyclefleet.worker;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The tasks this worker holds, bounded by concurrency + prefetch permits. A permit is taken before a
 * fetch and given back only once the task's result is committed (or the task handed back), so a slow or
 * unreachable Postgres stops the worker from taking more work instead of piling it up in memory.
 */
final class InFlight {

    /** Exposes reducePermits: a blocking read may return more entries than permits were taken for. */
    private static final class Permits extends Semaphore {
        Permits(int n) {
            super(n);
        }

        void take(int n) {
            reducePermits(n);
        }
    }

    private final Permits permits;
    private final ConcurrentHashMap<io.cyclefleet.task.TaskAttempt, TaskRun> runs = new ConcurrentHashMap<>();

    InFlight(int capacity) {
        this.permits = new Permits(capacity);
    }

    /** Waits up to {@code wait} for one permit, then takes as many more as are free, up to {@code max}. */
    int acquireUpTo(int max, long waitMillis) throws InterruptedException {
        if (!permits.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
            return 0;
        }
        int got = 1;
        while (got < max && permits.tryAcquire()) {
            got++;
        }
        return got;
    }

    /** Takes {@code n} permits at once even if that drives the count below zero (it then blocks fetching). */
    void takeOverdraft(int n) {
        if (n > 0) {
            permits.take(n);
        }
    }

    void release(int n) {
        if (n > 0) {
            permits.release(n);
        }
    }

    void add(TaskRun run) {
        runs.put(run.key, run);
    }

    /** Forgets a run and frees its permit; a second call for the same run does nothing. */
    void done(TaskRun run) {
        if (runs.remove(run.key, run)) {
            permits.release();
            synchronized (this) {
                notifyAll();
            }
        }
    }

    boolean holds(io.cyclefleet.task.TaskAttempt attempt) {
        return runs.containsKey(attempt);
    }

    /** Waits up to {@code millis} for a run to be done (or for {@link #changed}). */
    synchronized void awaitChange(long millis) throws InterruptedException {
        wait(millis);
    }

    /** Wakes whoever waits in {@link #awaitChange} or {@link #awaitEmpty}. */
    synchronized void changed() {
        notifyAll();
    }

    /** Waits until no run matching {@code which} is held or {@code deadlineNanos} (monotonic) passes; true when none is. */
    synchronized boolean awaitNone(java.util.function.Predicate<TaskRun> which, long deadlineNanos) throws InterruptedException {
        while (runs.values().stream().anyMatch(which)) {
            long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    Collection<TaskRun> runs() {
        return List.copyOf(runs.values());
    }

    int size() {
        return runs.size();
    }
}
