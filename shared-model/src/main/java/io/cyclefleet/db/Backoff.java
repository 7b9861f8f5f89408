package io.cyclefleet.db;

/**
 * Exponential pause between attempts at an unreachable Redis or Postgres (100 ms doubling to 5 s). Used by
 * every loop that must outlive an outage instead of exiting.
 */
public final class Backoff {

    private static final long FIRST_MS = 100;
    private static final long MAX_MS = 5_000;
    private long next = FIRST_MS;

    public long nextMillis() {
        return next;
    }

    public void reset() {
        next = FIRST_MS;
    }

    /** Waits the current delay and doubles it; false when interrupted (the loop should then stop). */
    public boolean pause() {
        try {
            Thread.sleep(next); // deliberate wait before retrying a failed store, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        next = Math.min(next * 2, MAX_MS);
        return true;
    }
}
