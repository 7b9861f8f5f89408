package io.cyclefleet.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.db.StoreException;
import io.cyclefleet.handler.HandlerRegistry;
import io.cyclefleet.handler.TaskHandler;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskDeferred;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.ClaimedTask;
import io.cyclefleet.task.TaskOutcome;
import io.cyclefleet.task.TaskResult;
import io.cyclefleet.task.TaskStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
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

    /**
     * Runs the attempt and returns what to write: a verdict, or a hand-back when a fault stopped it; null when
     * the run was abandoned as hung meanwhile (it was handed back already).
     */
    TaskOutcome execute(TaskRun run, String workerId, ScheduledExecutorService timers) {
        ClaimedTask t = run.task;
        MDC.put("cycleId", t.cycleId().toString());
        MDC.put("taskId", Long.toString(t.id()));
        MDC.put("attempt", Integer.toString(t.attempt()));
        Instant deadline = Instant.now().plus(t.timeout());
        ScheduledFuture<?> timer = timers.schedule(() -> run.interrupt(TaskRun.Stop.TIMEOUT, "timed out after " + t.timeout()),
                t.timeout().toMillis(), TimeUnit.MILLISECONDS);
        TaskResult result = null;
        Exception failure = null;
        TaskRun.Interruption stop;
        try {
            Optional<TaskHandler> handler = handlers.forKind(t.kind());
            if (handler.isEmpty()) {
                failure = new TaskFailure("no handler for kind '" + t.kind() + "' on this worker", true);
            } else {
                result = handler.get().handle(new TaskContext(t.id(), t.cycleId(), t.key(), t.attempt(),
                        json.readTree(t.paramsJson()), deadline, workerId));
            }
        } catch (Exception e) {
            failure = e;
        } finally {
            timer.cancel(false);
            stop = run.finish();
        }
        try {
            if (run.abandoned()) {
                return null; // handed back as hung while it ran: another attempt owns the task now
            }
            if (stop != null && stop.cause().fault) {
                // A fault, not a verdict: the task goes back to the queue without spending an attempt. If another
                // worker holds it by now, the attempt fence rejects this hand-back like any late result.
                LOG.infof("attempt %d of task %d stopped: %s", t.attempt(), t.id(), stop.reason());
                return TaskOutcome.stopped(t.id(), t.attempt(), t.cycleId(), stop.reason(), stop.cause().leaseLoss);
            }
            if (stop != null) {
                // timed out: whatever the handler returned is not trusted
                failure = new TaskFailure(stop.reason(), true);
            } else if (failure instanceof TaskDeferred d) {
                LOG.infof("attempt %d of task %d deferred by %s: %s", t.attempt(), t.id(), d.delay(), d.getMessage());
                return TaskOutcome.deferred(t.id(), t.attempt(), t.cycleId(), withoutNul(d.getMessage()), d.delay());
            } else if (failure != null && unreachableStore(failure) != null) {
                // the handler's own read or write of the record failed on a connection: a fault, not its verdict
                String reason = "Postgres unreachable from the handler: " + unreachableStore(failure).getMessage();
                LOG.infof("attempt %d of task %d stopped: %s", t.attempt(), t.id(), reason);
                return TaskOutcome.stopped(t.id(), t.attempt(), t.cycleId(), reason, true);
            }
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
        return new TaskOutcome(t.id(), t.attempt(), t.cycleId(), TaskStatus.SUCCEEDED, text, metrics, r.score(), null, null, TaskOutcome.Fault.NONE);
    }

    TaskOutcome failed(ClaimedTask t, Exception e) {
        boolean retryable = !(e instanceof TaskFailure f) || f.retryable();
        String message = withoutNul(e instanceof TaskFailure ? String.valueOf(e.getMessage()) : e.toString());
        if (message.length() > MAX_ERROR_CHARS) {
            message = message.substring(0, MAX_ERROR_CHARS) + "… (truncated)";
        }
        if (retryable && t.retry().hasAttemptAfter(t.attempt())) {
            // a delay, not a time: Postgres adds it to its own clock, so this worker's clock cannot move the retry
            Duration delay = t.retry().delayAfter(t.attempt(), ThreadLocalRandom.current());
            LOG.debugf("attempt %d of task %d failed, retrying in %s: %s", t.attempt(), t.id(), delay, message);
            return outcome(t, TaskStatus.RETRY_WAIT, message, delay);
        }
        LOG.infof("task %d (%s) failed on attempt %d of %d: %s", t.id(), t.key(), t.attempt(), t.retry().maxAttempts(), message);
        TaskResult measured = e instanceof TaskFailure f ? f.measured() : null;
        if (measured != null && measured.problem() == null) {
            String metrics = measured.metrics().isEmpty() ? null : json.valueToTree(measured.metrics()).toString();
            String summary = measured.summary() == null || measured.summary().isNull() ? null : withoutNul(measured.summary().toString());
            if (summary != null && summary.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_RESULT_BYTES) {
                summary = null;
            }
            return new TaskOutcome(t.id(), t.attempt(), t.cycleId(), TaskStatus.FAILED, summary, metrics, measured.score(), message, null, TaskOutcome.Fault.NONE);
        }
        return outcome(t, TaskStatus.FAILED, message, null);
    }

    /** The transient store failure (connection lost, server shutting down) that caused {@code e}, or null. */
    private static StoreException unreachableStore(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StoreException s && s.isTransient()) {
                return s;
            }
        }
        return null;
    }

    /** Postgres text and jsonb reject NUL characters; one in a handler's output must not poison a batch. */
    static String withoutNul(String s) {
        return s.indexOf('\u0000') < 0 ? s : s.replace("\u0000", "\\u0000");
    }

    private static TaskOutcome outcome(ClaimedTask t, TaskStatus status, String error, Duration retryDelay) {
        return TaskOutcome.failure(t.id(), t.attempt(), t.cycleId(), status, error, retryDelay);
    }
}
