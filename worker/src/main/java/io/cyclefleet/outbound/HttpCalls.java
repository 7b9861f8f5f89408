package io.cyclefleet.outbound;

import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** HTTP for handlers: every request has a timeout and goes through {@link Outbound} under its host's breaker. */
@ApplicationScoped
public class HttpCalls {

    /** What came back, and how long it took. {@code body} is at most {@link #MAX_BODY} bytes: a longer one is an error. */
    public record Reply(int status, String body, double latencyMs) {
    }

    /** 1 MiB: what a handler reads of an answer; never more is held in memory, whatever the server sends. */
    static final int MAX_BODY = 1 << 20;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final Outbound outbound;

    public HttpCalls(Outbound outbound) {
        this.outbound = outbound;
    }

    /**
     * One request, guarded: GET/HEAD are retried, anything else is not. A body over the cap fails without retry
     * (the same request gets the same answer); other failures are retryable and name the target.
     */
    public Reply send(String method, String url, Map<String, String> headers, String body, Duration timeout)
            throws TaskFailure, InterruptedException {
        boolean idempotent = method.equals("GET") || method.equals("HEAD");
        String origin = origin(url);
        return outbound.call(origin, idempotent, () -> {
            try {
                return raw(method, url, headers, body, timeout);
            } catch (CappedBody.TooLarge e) {
                throw new TaskFailure(origin + ": " + e.getMessage(), false);
            }
        });
    }

    public Reply get(String url, Duration timeout) throws TaskFailure, InterruptedException {
        return send("GET", url, Map.of(), null, timeout);
    }

    /**
     * One request without retry or breaker: for probes that measure availability, where a refused connection
     * is a data point (status 0, the body says why; the caller names the target), not an error.
     */
    public Reply probe(String method, String url, Map<String, String> headers, String body, Duration timeout) throws InterruptedException {
        try {
            return raw(method, url, headers, body, timeout);
        } catch (InterruptedException e) {
            throw e;
        } catch (CappedBody.TooLarge e) {
            return new Reply(0, e.getMessage(), timeout.toMillis());
        } catch (Exception e) {
            return new Reply(0, Outbound.describe(e), timeout.toMillis());
        }
    }

    /**
     * {@code timeout} bounds the whole exchange, from sending the request to the body's last byte: the request's
     * own timeout only bounds the wait for the headers, so a server dripping an endless body would hold the
     * caller for ever. Whatever ends the wait early (deadline, interrupt, body over the cap) stops the exchange.
     * The latency is the time until the whole response was read, as before.
     */
    private Reply raw(String method, String url, Map<String, String> headers, String body, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        CappedBody capped = new CappedBody(MAX_BODY);
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(b.build(), capped.handler());
        try {
            HttpResponse<byte[]> r = exchange.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            double ms = (System.nanoTime() - start) / 1e6;
            return new Reply(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8), ms);
        } catch (TimeoutException e) {
            throw timedOut(capped, timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
                throw timedOut(capped, timeout); // the request's own timer: it may fire just before ours
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        } finally {
            // no-ops once the exchange completed; otherwise they stop it, and the client closes the connection
            capped.cancel();
            exchange.cancel(true);
        }
    }

    private static HttpTimeoutException timedOut(CappedBody capped, Duration timeout) {
        return new HttpTimeoutException((capped.answered() ? "response body not complete after " : "no response after ") + timeout);
    }

    /** scheme://host:port — the breaker's key, and what an error names (never the path or query). */
    public static String origin(String url) {
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
    }
}
