package io.cyclefleet.incident;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;

/**
 * POSTs one notification body to the receiver. Retries a couple of times in place (the receiver dedups on
 * dedup_key, so a repeat is harmless); a receiver that keeps failing opens the circuit so the notifier stops
 * waiting on it, and the outbox row is tried again later.
 */
@ApplicationScoped
public class WebhookClient {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    @Timeout(5000)
    @Retry(maxRetries = 2, delay = 200, jitter = 100, abortOn = RejectedException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 10_000, successThreshold = 1,
            skipOn = RejectedException.class)
    public void post(String url, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        int status = r.statusCode();
        if (status >= 400 && status < 500 && status != 429 && status != 408) {
            throw new RejectedException(host(url) + " rejected the notification: HTTP " + status + " " + abbreviate(r.body()));
        }
        if (status >= 300) {
            throw new IOException(host(url) + " answered HTTP " + status + " " + abbreviate(r.body()));
        }
    }

    /** Scheme, host and port only: webhook URLs often carry credentials in their path or query. */
    static String host(String url) {
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }

    /** The receiver refused the body itself (4xx): sending it again as it is will not help. */
    public static class RejectedException extends IOException {
        public RejectedException(String message) {
            super(message);
        }
    }
}
