package io.cyclefleet.task;

/** A task that Postgres says is QUEUED at {@code attempt} and must be on the queue's stream. */
public record QueuedTask(long id, int attempt, String queue, Priority priority) {
}
