package io.cyclefleet.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real worker: a separate JVM started from the worker module's packaged fast-jar, against the same
 * Postgres database and Redis key prefix as the orchestrator under test. Tests kill it with SIGKILL or
 * stop it with SIGTERM for real.
 */
public final class WorkerProcess implements AutoCloseable {

    public static final Path JAR = Path.of("..", "worker", "target", "quarkus-app", "quarkus-run.jar");
    /** The test profile's Redis key prefix, unless the run sets another (-D or environment), as Db.URL does. */
    public static final String KEY_PREFIX = System.getProperty("cyclefleet.redis.key-prefix",
            System.getenv().getOrDefault("CYCLEFLEET_REDIS_KEY_PREFIX", "cftest"));
    /** The orchestrator's Redis, unless the run sets another (-D or environment): the workers must share it. */
    public static final String REDIS_ADDRESS = System.getProperty("cyclefleet.redis.address",
            System.getenv().getOrDefault("CYCLEFLEET_REDIS_ADDRESS", "redis://127.0.0.1:6379"));

    private final String id;
    private final Process process;
    private final Path log;

    private WorkerProcess(String id, Process process, Path log) {
        this.id = id;
        this.process = process;
        this.log = log;
    }

    public static Builder builder(String id) {
        return new Builder(id);
    }

    public static final class Builder {
        private final String id;
        private final Map<String, String> props = new TreeMap<>();
        private final List<String> prefix = new ArrayList<>();

        private Builder(String id) {
            this.id = id;
            props.put("cyclefleet.worker.id", id);
            props.put("quarkus.http.port", "0");
            // the orchestrator's database, Redis and key prefix, also when a run points them elsewhere
            // (-D or environment)
            props.put("quarkus.datasource.jdbc.url", Db.URL);
            props.put("cyclefleet.redis.address", REDIS_ADDRESS);
            props.put("cyclefleet.redis.key-prefix", KEY_PREFIX);
            props.put("cyclefleet.worker.lease", "3s");
            props.put("cyclefleet.worker.heartbeat", "500ms");
            props.put("cyclefleet.worker.fetch-block", "500ms");
            props.put("cyclefleet.worker.drain-timeout", "5s");
            props.put("cyclefleet.worker.concurrency", "4");
            props.put("cyclefleet.worker.prefetch", "4");
        }

        public Builder with(String key, String value) {
            props.put(key, value);
            return this;
        }

        public Builder with(Map<String, String> properties) {
            props.putAll(properties);
            return this;
        }

        /**
         * Words the worker's command line runs behind, e.g. {@code ip netns exec NS} or {@code faketime ...}.
         * The prefix must exec the JVM (not fork it), so that {@link WorkerProcess#pid()} and the signals reach
         * the worker itself.
         */
        public Builder prefix(List<String> words) {
            prefix.addAll(words);
            return this;
        }

        public WorkerProcess start() throws IOException {
            if (!Files.exists(JAR)) {
                throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: build the worker first "
                        + "(./mvnw -B verify builds modules in order; or ./mvnw -pl worker -am -DskipTests package)");
            }
            List<String> cmd = new ArrayList<>(prefix);
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-XX:+UseSerialGC");
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.add("-Xmx256m");
            props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
            cmd.add("-jar");
            cmd.add(JAR.toString());
            Path logs = Path.of("target", "worker-logs");
            Files.createDirectories(logs);
            Path log = logs.resolve(id + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            // a test that forgets to close its worker must not leave it consuming the next test classes' queues
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "kill-worker-" + id));
            return new WorkerProcess(id, p, log);
        }
    }

    public String id() {
        return id;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status of a worker that has exited. */
    public int exitCode() {
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no drain, exactly like an OOM kill or node loss. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the JVM freezes (a long GC pause, a stopped VM); the processes it started run on. */
    public void pause() throws Exception {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() throws Exception {
        signal("CONT");
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** SIGTERM, as Kubernetes sends on scale-down; returns how long the process took to exit. */
    public Duration terminate(Duration max) throws InterruptedException {
        long start = System.nanoTime();
        process.destroy();
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("worker " + id + " did not exit within " + max + " of SIGTERM; log: " + log);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** The HTTP port the worker listens on (health, metrics), from its start-up line; waits for it. */
    public int httpPort() {
        java.util.regex.Pattern listening = java.util.regex.Pattern.compile("Listening on: http://[^:]+:(\\d+)");
        int[] port = {0};
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            java.util.regex.Matcher m = listening.matcher(log());
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
            }
            return port[0] > 0;
        });
        return port[0];
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    public File logFile() {
        return log.toFile();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
