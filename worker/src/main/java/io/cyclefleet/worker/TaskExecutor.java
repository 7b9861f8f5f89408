package io.cyclefleet.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.handler.HandlerRegistry;
import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import io.cyclefleet.handler.TaskHandler;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskOutcome;
import io.cyclefleet.task.TaskResult;
import io.cyclefleet.task.TaskStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/** Runs one attempt through its handler under the task's timeout and turns what happened into an outcome. */
@ApplicationScoped
class TaskExecutor {

    private static final Logger LOG = Logger.getLogger(TaskExecutor.class);
    static final int MAX_RESULT_BYTES = 64 * 1024;
    static final int MAX_ERROR_CHARS = 8 * 1024;

    private final HandlerRegistry handlers;
    private final ObjectMapper json;

    TaskExecutor(HandlerRegistry handlers, ObjectMapper json) {
        this.handlers = handlers;
        this.json = json;
    }

    java.util.Set<String> kinds() {
        return handlers.kinds();
    }

    TaskOutcome execute(TaskRun run, ScheduledExecutorService timers) {
        ClaimedTask t = run.task;
        MDC.put("cycleId", t.cycleId().toString());
        MDC.put("taskId", Long.toString(t.id()));
        MDC.put("attempt", Integer.toString(t.attempt()));
        Instant deadline = Instant.now().plus(t.timeout());
        ScheduledFuture<?> timer = timers.schedule(() -> run.interrupt("timed out after " + t.timeout()),
                t.timeout().toMillis(), TimeUnit.MILLISECONDS);
        TaskResult result = null;
        Exception failure = null;
        try {
            Optional<TaskHandler> handler = handlers.forKind(t.kind());
            if (handler.isEmpty()) {
                failure = new TaskFailure("no handler for kind '" + t.kind() + "' on this worker", true);
            } else {
                result = handler.get().handle(new TaskContext(t.id(), t.cycleId(), t.key(), t.attempt(),
                        json.readTree(t.paramsJson()), deadline));
            }
        } catch (Exception e) {
            failure = e;
        } finally {
            timer.cancel(false);
            String reason = run.finish();
            if (reason != null) {
                // Interrupted (timeout, lost lease, drain): whatever the handler returned is not trusted.
                // Retryable: if another worker now holds the task, the attempt fence rejects this anyway.
                failure = new TaskFailure(reason, true);
            }
        }
        try {
            // still inside the MDC: the outcome's own log lines (a failure, a retry) are lines of task work too
            return failure == null ? success(t, result) : failed(t, failure);
        } finally {
            MDC.remove("cycleId");
            MDC.remove("taskId");
            MDC.remove("attempt");
        }
    }

    private TaskOutcome success(ClaimedTask t, TaskResult result) {
        TaskResult r = result == null ? TaskResult.empty() : result;
        String problem = r.problem();
        if (problem != null) {
            return outcome(t, TaskStatus.FAILED, "the handler returned an invalid result: " + problem, null);
        }
        String text = r.summary() == null || r.summary().isNull() ? null : withoutNul(r.summary().toString());
        int bytes = text == null ? 0 : text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_RESULT_BYTES) {
            return outcome(t, TaskStatus.FAILED, "result of " + bytes + " bytes exceeds the limit of " + MAX_RESULT_BYTES + " bytes", null);
        }
        String metrics = r.metrics().isEmpty() ? null : json.valueToTree(r.metrics()).toString();
        return new TaskOutcome(t.id(), t.attempt(), t.cycleId(), TaskStatus.SUCCEEDED, text, metrics, r.score(), null, null);
    }

    TaskOutcome failed(ClaimedTask t, Exception e) {
        boolean retryable = !(e instanceof TaskFailure f) || f.retryable();
        String message = withoutNul(e instanceof TaskFailure ? String.valueOf(e.getMessage()) : e.toString());
        if (message.length() > MAX_ERROR_CHARS) {
            message = message.substring(0, MAX_ERROR_CHARS) + "… (truncated)";
        }
        if (retryable && t.retry().hasAttemptAfter(t.attempt())) {
            Instant next = Instant.now().plus(t.retry().delayAfter(t.attempt(), ThreadLocalRandom.current()));
            LOG.debugf("attempt %d of task %d failed, retrying at %s: %s", t.attempt(), t.id(), next, message);
            return outcome(t, TaskStatus.RETRY_WAIT, message, next);
        }
        LOG.infof("task %d (%s) failed on attempt %d of %d: %s", t.id(), t.key(), t.attempt(), t.retry().maxAttempts(), message);
        TaskResult measured = e instanceof TaskFailure f ? f.measured() : null;
        if (measured != null && measured.problem() == null) {
            String metrics = measured.metrics().isEmpty() ? null : json.valueToTree(measured.metrics()).toString();
            String summary = measured.summary() == null || measured.summary().isNull() ? null : withoutNul(measured.summary().toString());
            if (summary != null && summary.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_RESULT_BYTES) {
                summary = null;
            }
            return new TaskOutcome(t.id(), t.attempt(), t.cycleId(), TaskStatus.FAILED, summary, metrics, measured.score(), message, null);
        }
        return outcome(t, TaskStatus.FAILED, message, null);
    }

    /** Postgres text and jsonb reject NUL characters; one in a handler's output must not poison a batch. */
    static String withoutNul(String s) {
        return s.indexOf('\u0000') < 0 ? s : s.replace("\u0000", "\\u0000");
    }

    private static TaskOutcome outcome(ClaimedTask t, TaskStatus status, String error, Instant next) {
        return TaskOutcome.failure(t.id(), t.attempt(), t.cycleId(), status, error, next);
    }
}
