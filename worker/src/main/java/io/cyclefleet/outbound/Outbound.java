package io.cyclefleet.outbound;

import io.cyclefleet.run.TaskFailure;
import io.smallrye.faulttolerance.api.Guard;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

/**
 * Every call a handler makes to something outside the worker goes through here: one circuit breaker per
 * target (a dead Prometheus must not slow every assessment that asks it), a retry only for calls that are
 * idempotent (a GET, a status read — never a deploy), and errors that name the target and the cause.
 * Timeouts are set by the caller on the call itself (HTTP request timeout, process timeout), where they can
 * actually stop the work.
 */
@ApplicationScoped
public class Outbound {

    private final Map<String, Guard> idempotent = new ConcurrentHashMap<>();
    private final Map<String, Guard> once = new ConcurrentHashMap<>();

    /**
     * Runs {@code work} against {@code target} (e.g. "http://127.0.0.1:9090", "kubernetes:prod"). Failures come
     * back as a retryable {@link TaskFailure} naming the target; a TaskFailure thrown by {@code work} itself
     * passes through unchanged.
     */
    public <T> T call(String target, boolean isIdempotent, Callable<T> work) throws TaskFailure, InterruptedException {
        Guard guard = (isIdempotent ? idempotent : once).computeIfAbsent(target, t -> build(t, isIdempotent));
        try {
            @SuppressWarnings("unchecked")
            T result = (T) guard.call(work::call, Object.class);
            return result;
        } catch (TaskFailure | InterruptedException e) {
            throw e;
        } catch (CircuitBreakerOpenException e) {
            throw new TaskFailure(target + ": not called, its circuit breaker is open after repeated failures", true);
        } catch (Exception e) {
            throw new TaskFailure(target + ": " + describe(e), true);
        }
    }

    private static Guard build(String target, boolean isIdempotent) {
        Guard.Builder b = Guard.create().withDescription("outbound " + target)
                .withCircuitBreaker().requestVolumeThreshold(10).failureRatio(0.6).delay(15, ChronoUnit.SECONDS)
                .skipOn(TaskFailure.class).done();
        if (isIdempotent) {
            b = b.withRetry().maxRetries(2).delay(200, ChronoUnit.MILLIS).jitter(100, ChronoUnit.MILLIS)
                    .abortOn(java.util.List.of(TaskFailure.class, InterruptedException.class)).done();
        }
        return b.build();
    }

    /** The exception and its first cause that says something (ConnectException says nothing itself). */
    public static String describe(Throwable e) {
        String text = e.getClass().getSimpleName();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                return text + ": " + t.getMessage();
            }
        }
        // The JDK's HttpClient throws ConnectException -> ConnectException -> ClosedChannelException (refused) or
        // -> UnresolvedAddressException (unknown host) without a message anywhere: say what the types mean.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                return text + ": host name not resolved";
            }
        }
        if (e instanceof java.net.ConnectException) {
            return text + ": could not connect (connection refused or host unreachable)";
        }
        return text;
    }
}
