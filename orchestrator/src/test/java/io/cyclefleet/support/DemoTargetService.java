package io.cyclefleet.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The demo's target service as a real process (scripts/demo-target, scripts/demo/DemoTarget.java) that workers
 * deploy through a {@code command} adapter, with its own run directory and port. Its deploys.log is the target's
 * own record of when each change started, finished, was refused or killed: tests assert on it, and on the version
 * the target actually answers.
 */
public final class DemoTargetService implements AutoCloseable {

    public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path SCRIPT = ROOT.resolve("scripts/demo-target");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /** One line of deploys.log: {@code event} is start, done, refused, failed or killed; {@code token} null without --fence. */
    public record DeployEvent(long atMs, String event, String version, Long token, long pid) {
    }

    private final Path runDir;
    private final int port;
    private final Duration deployTakes;

    public DemoTargetService(String name, int port, Duration deployTakes) throws IOException {
        this.runDir = Path.of("target", "targets", name).toAbsolutePath();
        this.port = port;
        this.deployTakes = deployTakes;
        Files.createDirectories(runDir);
        Files.deleteIfExists(runDir.resolve("demo-target/deploys.log"));
    }

    /** Deploys by hand (no fencing token: the target forgets the tokens it saw), waiting until it answers. */
    public void deploy(String version) throws Exception {
        if (script("deploy", version) != 0) {
            throw new IllegalStateException("demo-target deploy " + version + " failed; see " + runDir.resolve("script.log"));
        }
    }

    private int script(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve("script.log").toFile()));
        pb.environment().put("CYCLEFLEET_RUN_DIR", runDir.toString());
        pb.environment().put("DEMO_TARGET_PORT", Integer.toString(port));
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("demo-target " + String.join(" ", args) + " did not finish in 60 s");
        }
        return p.exitValue();
    }

    /** The version the target answers now; "none" when nothing answers. */
    public String version() {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/version"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().strip() : "none";
        } catch (IOException e) {
            return "none";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "none";
        }
    }

    public void awaitVersion(String version, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(200)).until(() -> version.equals(version()));
    }

    public List<DeployEvent> events() throws IOException {
        Path log = runDir.resolve("demo-target/deploys.log");
        List<DeployEvent> out = new ArrayList<>();
        if (!Files.exists(log)) {
            return out;
        }
        for (String line : Files.readAllLines(log)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 5) {
                out.add(new DeployEvent(Long.parseLong(f[0]), f[1], f[2], "-".equals(f[3]) ? null : Long.valueOf(f[3]), Long.parseLong(f[4])));
            }
        }
        return out;
    }

    /** The events of changes made by cycles (those with a fencing token), oldest first. */
    public List<DeployEvent> fencedEvents() throws IOException {
        return events().stream().filter(e -> e.token() != null).toList();
    }

    /** The worker properties of a command adapter named {@code name} deploying this target. */
    public Map<String, String> adapter(String name, Duration timeout) {
        String p = "cyclefleet.adapters." + name + ".";
        Map<String, String> m = new LinkedHashMap<>();
        m.put(p + "type", "command");
        m.put(p + "deploy-command", SCRIPT + " deploy {{version}} --fence {{fencingToken}}");
        m.put(p + "rollback-command", SCRIPT + " deploy {{version}} --fence {{fencingToken}}");
        m.put(p + "current-version-command", SCRIPT + " version");
        m.put(p + "version-pattern", "v[0-9]+(\\.[0-9]+)*");
        m.put(p + "timeout", timeout.toString());
        m.put(p + "environment.CYCLEFLEET_RUN_DIR", runDir.toString());
        m.put(p + "environment.DEMO_TARGET_PORT", Integer.toString(port));
        m.put(p + "environment.DEMO_DEPLOY_SECONDS", Long.toString(deployTakes.toSeconds()));
        return m;
    }

    /** The URL of the target's statistics (errorRate over the last 10 s), for verification analysis. */
    public String statsUrl() {
        return "http://127.0.0.1:" + port + "/stats";
    }

    @Override
    public void close() throws Exception {
        script("stop");
    }
}
