package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Runs one kind of task. Implementations are CDI beans discovered by kind; the worker core never switches
 * on kind. Return the result summary (stored as JSON; may be null) or throw {@link TaskFailure}. A
 * handler must stop promptly when its thread is interrupted (timeout, lost lease, drain).
 */
public interface TaskHandler {

    String kind();

    JsonNode handle(TaskContext context) throws Exception;
}
