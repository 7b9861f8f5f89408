package io.cyclefleet.support;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Stops and starts the local Redis for real, with the same flags the machine starts it with (no persistence). */
public final class RedisServer {

    private RedisServer() {
    }

    public static void shutdownWithoutSaving() throws Exception {
        run("redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave");
        await().atMost(Duration.ofSeconds(20)).until(() -> !answers());
    }

    public static void start() throws Exception {
        run("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
                "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log");
        await().atMost(Duration.ofSeconds(20)).until(RedisServer::answers);
    }

    private static boolean answers() throws Exception {
        Process p = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor(5, TimeUnit.SECONDS);
        return "PONG".equals(out);
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
        }
    }
}
