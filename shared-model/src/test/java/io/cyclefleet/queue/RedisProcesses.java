package io.cyclefleet.queue;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real redis-server processes for one test class, each on a free port with its files in a temp directory,
 * never the machine's shared Redis on 6379. {@link #close()} stops every process started, also when the
 * test failed half-way; a JVM shutdown hook does it if the test JVM is stopped first.
 */
final class RedisProcesses implements AutoCloseable {

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    /** Per port, the redis-cli options that reach it (password, TLS). */
    private final Map<Integer, List<String>> cliOptions = new HashMap<>();
    private final Thread hook = new Thread(this::stopAll, "redis-test-processes");

    RedisProcesses(String name) throws IOException {
        this.dir = Files.createTempDirectory("cf-" + name + "-");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    Path dir() {
        return dir;
    }

    /** A port nobody listens on now (and, for cluster nodes, whose bus port +10000 is free too). */
    static int freePort(boolean clusterBus) throws IOException {
        for (int i = 0; i < 100; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            if (!clusterBus) {
                return port;
            }
            if (port + 10000 <= 65535 && free(port + 10000)) {
                return port;
            }
        }
        throw new IOException("no free port pair found");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Starts redis-server (or a sentinel when {@code args} say so) in the foreground, without persistence,
     * and waits until {@code answerPort} answers PING through redis-cli with {@code cli} options.
     */
    int start(String name, int answerPort, List<String> cli, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("redis-server"));
        cmd.addAll(args);
        cmd.addAll(List.of("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--daemonize", "no", "--logfile", dir.resolve(name + ".log").toString()));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".out").toFile()).start();
        synchronized (processes) {
            processes.add(p);
        }
        cliOptions.put(answerPort, List.copyOf(cli));
        await("redis " + name + " on port " + answerPort + " answers PING (log: " + dir.resolve(name + ".log") + ")")
                .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("redis-server " + name + " exited: "
                                + Files.readString(dir.resolve(name + ".out")) + tail(dir.resolve(name + ".log")));
                    }
                    return "PONG".equals(cli(answerPort, "PING"));
                });
        return answerPort;
    }

    /** Replaces the redis-cli options used for {@code port}. */
    void cliOptions(int port, List<String> options) {
        cliOptions.put(port, List.copyOf(options));
    }

    int startServer(String name, List<String> args) throws IOException {
        int port = freePort(false);
        List<String> all = new ArrayList<>(List.of("--port", Integer.toString(port)));
        all.addAll(args);
        return start(name, port, List.of(), all);
    }

    /** redis-cli against {@code port} with the options registered for it; the reply, trimmed. */
    String cli(int port, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(cliOptions.getOrDefault(port, List.of()));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("REDISCLI_AUTH");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish");
        }
        return out;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private void stopAll() {
        List<Process> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
            processes.clear();
        }
        for (Process p : all) {
            p.destroy();
        }
        for (Process p : all) {
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() throws IOException {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
