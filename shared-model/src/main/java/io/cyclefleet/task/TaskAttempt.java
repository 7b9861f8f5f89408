package io.cyclefleet.task;

/** One attempt of one task: the unit a lease, a delivery and a result are fenced on. */
public record TaskAttempt(long id, int attempt) {
}
