package io.cyclefleet.handler;

import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.TaskResult;

/**
 * Runs one kind of task. Implementations are CDI beans discovered by kind; the worker core never switches
 * on kind. Return the result (summary, metrics, score) or throw {@link TaskFailure}. A handler must stop
 * promptly when its thread is interrupted (timeout, lost lease, drain).
 */
public interface TaskHandler {

    String kind();

    TaskResult handle(TaskContext context) throws Exception;
}
