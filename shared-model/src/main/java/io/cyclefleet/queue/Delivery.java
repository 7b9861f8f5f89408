package io.cyclefleet.queue;


/** One stream entry handed to a consumer: a pointer to task row {@code taskId} at {@code attempt}. */
public record Delivery(String queue, Priority priority, String messageId, long taskId, int attempt) {
}
