// The demo's target service: a small HTTP server in one file, run with `java DemoTarget.java --version v1`.
// v2 carries a regression (about 30 % of requests answer 500, and 80 ms slower); every other version is healthy.
// A built-in synthetic client sends it 20 requests a second, so error rates are real measurements of real
// requests. Endpoints: / (the service), /health, /version, /stats (JSON, last 10 s), /metrics (Prometheus text).
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

public class DemoTarget {

    static String version = "v1";
    static final AtomicLong ok = new AtomicLong();
    static final AtomicLong failed = new AtomicLong();
    /** (time ms, 1 if it failed) of the last 10 s of requests. */
    static final Deque<long[]> window = new ArrayDeque<>();

    public static void main(String[] args) throws Exception {
        int port = 9091;
        int rps = 20;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--version" -> version = args[i + 1];
                case "--rps" -> rps = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        boolean regression = version.equals("v2");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", ex -> {
            if (!ex.getRequestURI().getPath().equals("/")) {
                send(ex, 404, "text/plain", "not found");
                return;
            }
            boolean fail = regression && ThreadLocalRandom.current().nextDouble() < 0.3;
            if (regression) {
                pause(80);
            }
            record(fail);
            send(ex, fail ? 500 : 200, "text/plain", fail ? "regression in " + version : "hello from " + version);
        });
        server.createContext("/health", ex -> send(ex, 200, "application/json", "{\"status\":\"UP\",\"version\":\"" + version + "\"}"));
        server.createContext("/version", ex -> send(ex, 200, "text/plain", version));
        server.createContext("/stats", ex -> send(ex, 200, "application/json", String.format(Locale.ROOT,
                "{\"version\":\"%s\",\"requests\":%d,\"errors\":%d,\"errorRate\":%.4f}", version, ok.get() + failed.get(), failed.get(), ratio())));
        server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4", String.format(Locale.ROOT, """
                # HELP demo_requests_total Requests served, by status code.
                # TYPE demo_requests_total counter
                demo_requests_total{code="200",version="%1$s"} %2$d
                demo_requests_total{code="500",version="%1$s"} %3$d
                # HELP demo_error_ratio Share of requests that failed over the last 10 seconds.
                # TYPE demo_error_ratio gauge
                demo_error_ratio{version="%1$s"} %4$.4f
                """, version, ok.get(), failed.get(), ratio())));
        server.start();
        startSyntheticClient(port, rps);
        System.out.println("demo target " + version + " listening on 127.0.0.1:" + port);
    }

    static void startSyntheticClient(int port, int rps) {
        if (rps <= 0) {
            return;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(2)).build();
        Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "synthetic-client");
            t.setDaemon(true);
            return t;
        }).scheduleAtFixedRate(() -> client.sendAsync(req, HttpResponse.BodyHandlers.discarding()),
                200, 1000 / rps, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    static synchronized void record(boolean fail) {
        (fail ? failed : ok).incrementAndGet();
        long now = System.currentTimeMillis();
        window.addLast(new long[] {now, fail ? 1 : 0});
        while (!window.isEmpty() && window.peekFirst()[0] < now - 10_000) {
            window.removeFirst();
        }
    }

    static synchronized double ratio() {
        long now = System.currentTimeMillis();
        while (!window.isEmpty() && window.peekFirst()[0] < now - 10_000) {
            window.removeFirst();
        }
        return window.isEmpty() ? 0 : window.stream().mapToLong(e -> e[1]).sum() / (double) window.size();
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms); // the regression's added latency
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }
}
