package io.cyclefleet.handler;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.testing.RequiredTools;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A real Prometheus process (Debian's package) scraping a local port every second, for handler tests. */
public final class RealPrometheus implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path dir;

    private RealPrometheus(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static RealPrometheus scraping(int targetPort) throws IOException {
        RequiredTools.require(Files.isExecutable(Path.of("/usr/bin/prometheus")),
                "/usr/bin/prometheus is not installed (Debian package prometheus; .ci/run installs it)");
        Path dir = Files.createTempDirectory("prometheus-test");
        Files.writeString(dir.resolve("prometheus.yml"), """
                global: {scrape_interval: 1s}
                scrape_configs:
                  - job_name: target
                    static_configs: [{targets: ['127.0.0.1:%d']}]
                """.formatted(targetPort));
        int port = LocalHttp.closedPort();
        Process p = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        return new RealPrometheus(p, port, dir);
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Waits until {@code query} has a value: Prometheus is up and has scraped the target. */
    public void awaitValue(String query, Duration max) {
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        await().atMost(max).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/api/v1/query?query=" + query)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return json.readTree(r.body()).at("/data/result").size() > 0;
        });
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
