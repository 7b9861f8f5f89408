package io.cyclefleet.outbound;

import io.cyclefleet.handler.TaskFailure;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** HTTP for handlers: every request has a timeout and goes through {@link Outbound} under its host's breaker. */
@ApplicationScoped
public class HttpCalls {

    /** What came back, and how long it took. {@code body} is capped at 1 MiB. */
    public record Reply(int status, String body, double latencyMs) {
    }

    private static final int MAX_BODY = 1 << 20;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final Outbound outbound;

    public HttpCalls(Outbound outbound) {
        this.outbound = outbound;
    }

    /** One request, guarded: GET/HEAD are retried, anything else is not. */
    public Reply send(String method, String url, Map<String, String> headers, String body, Duration timeout)
            throws TaskFailure, InterruptedException {
        boolean idempotent = method.equals("GET") || method.equals("HEAD");
        return outbound.call(origin(url), idempotent, () -> raw(method, url, headers, body, timeout));
    }

    public Reply get(String url, Duration timeout) throws TaskFailure, InterruptedException {
        return send("GET", url, Map.of(), null, timeout);
    }

    /**
     * One request without retry or breaker: for probes that measure availability, where a refused connection
     * is a data point (status 0), not an error.
     */
    public Reply probe(String method, String url, Map<String, String> headers, String body, Duration timeout) throws InterruptedException {
        try {
            return raw(method, url, headers, body, timeout);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return new Reply(0, Outbound.describe(e), timeout.toMillis());
        }
    }

    private Reply raw(String method, String url, Map<String, String> headers, String body, Duration timeout) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        long start = System.nanoTime();
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        double ms = (System.nanoTime() - start) / 1e6;
        byte[] bytes = r.body();
        String text = new String(bytes, 0, Math.min(bytes.length, MAX_BODY), java.nio.charset.StandardCharsets.UTF_8);
        return new Reply(r.statusCode(), text, ms);
    }

    /** scheme://host:port — the breaker's key, and what an error names (never the path or query). */
    public static String origin(String url) {
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
    }
}
