package io.cyclefleet.support;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The partition harness is real: a worker inside the namespace registers through the forwarders, a cut stops
 * its heartbeat without any error reaching the namespace's sockets, and a heal brings it back. A QuarkusTest
 * only because the orchestrator test application migrates the database the worker writes to.
 */
@QuarkusTest
class PartitionedHostTest {

    /**
     * Holds one connection to the Postgres forwarder from inside the namespace: an SSLRequest answered before
     * the cut ("ready N" or "ready S"), then, on a line from the test, another one written into the cut and a
     * read of at most $2 seconds. Prints and exits with the read's status: above 128 when it timed out (the
     * drop was silent), 1 on end of stream or an error, 0 when an answer came through.
     */
    private static final String HELD_CONNECTION = """
            exec 3<>/dev/tcp/$0/$1 || exit 10
            ssl_request() { printf '\\x00\\x00\\x00\\x08\\x04\\xd2\\x16\\x2f' >&3; }
            ssl_request && IFS= read -r -n1 -t 5 -u 3 reply || exit 11
            echo "ready $reply"
            read -r go
            start=$(date +%s%N)
            ssl_request || { echo "write failed"; exit 12; }
            IFS= read -r -n1 -t "$2" -u 3 reply
            rc=$?
            echo "read status $rc after $(( ($(date +%s%N) - start) / 1000000 )) ms"
            exit $rc
            """;
    private static final int HELD_READ_SECONDS = 8;

    @Test
    void aWorkerInTheNamespaceIsCutSilentlyFromPostgresThenRedisAndComesBack() throws Exception {
        long t0 = System.nanoTime();
        try (PartitionedHost host = PartitionedHost.create();
                WorkerProcess w = host.worker("netns-a").start()) {
            String id = w.id();
            assertTrue(host.pids().contains(w.pid()), () -> "worker pid " + w.pid() + " not in " + host.name());
            await().atMost(Duration.ofSeconds(60)).until(() -> ageMillis(id) >= 0 && ageMillis(id) < 1500);
            log("registered through the forwarders", t0);
            assertTrue(host.postgres().accepted() > 0, "the worker's Postgres connections came through the forwarder");
            assertTrue(host.redis().accepted() > 0, "the worker's Redis connections came through the forwarder");
            assertEquals("PONG", ping(host, Duration.ofSeconds(5)).output().strip());
            PartitionedHost.Exec before = connect(host, host.postgres(), Duration.ofSeconds(5));
            assertEquals(0, before.exit(), () -> "a connect before the cut: " + before);

            Process held = new ProcessBuilder(host.command("bash", "-c", HELD_CONNECTION,
                    host.postgres().address().getAddress().getHostAddress(),
                    String.valueOf(host.postgres().address().getPort()), String.valueOf(HELD_READ_SECONDS)))
                    .redirectErrorStream(true).start();
            try {
                partition(host, w, held);
            } finally {
                held.destroyForcibly();
            }
        }
        log("test done, namespace removed", t0);
    }

    private void partition(PartitionedHost host, WorkerProcess w, Process held) throws Exception {
        String id = w.id();
        BufferedReader heldOut = new BufferedReader(
                new InputStreamReader(held.getInputStream(), StandardCharsets.UTF_8));
        String ready = heldOut.readLine();
        assertTrue(ready != null && ready.matches("ready [NS]"), () -> "held connection: " + ready);

        // Postgres cut: heartbeats stop, Redis still answers, sockets to Postgres hear nothing
        host.cutPostgres();
        long cut = System.nanoTime();
        OutputStream go = held.getOutputStream();
        go.write("go\n".getBytes(StandardCharsets.UTF_8));
        go.flush();
        CompletableFuture<PartitionedHost.Exec> newConnect = CompletableFuture.supplyAsync(
                () -> connect(host, host.postgres(), Duration.ofSeconds(HELD_READ_SECONDS)));
        await().atMost(Duration.ofSeconds(20)).until(() -> ageMillis(id) > 3000);
        long lastSeen = lastSeenMillis(id);
        log("heartbeat stopped (last_seen_at over 3 s old)", cut);
        PartitionedHost.Exec redisDuringCut = ping(host, Duration.ofSeconds(5));
        assertEquals("PONG", redisDuringCut.output().strip(), () -> "Redis during the Postgres cut: " + redisDuringCut);
        PartitionedHost.Exec connectDuringCut = newConnect.get(30, TimeUnit.SECONDS);
        assertTrue(connectDuringCut.timedOut(),
                () -> "a new connect during the cut must hang, not fail: " + connectDuringCut);
        assertTrue(held.waitFor(30, TimeUnit.SECONDS), "held connection probe did not end");
        String heldResult = heldOut.lines().collect(Collectors.joining(" "));
        assertTrue(held.exitValue() > 128, () -> "the held connection's read must time out, not fail (exit "
                + held.exitValue() + "): " + heldResult);
        log("held connection: " + heldResult + "; new connect: " + connectDuringCut, cut);
        assertEquals(lastSeen, lastSeenMillis(id), "last_seen_at advanced during the Postgres cut");

        // Redis cut as well: nothing from inside reaches either
        host.cutRedis();
        PartitionedHost.Exec redisCut = ping(host, Duration.ofSeconds(3));
        assertTrue(redisCut.timedOut(), () -> "redis-cli during the Redis cut must hang, not fail: " + redisCut);
        assertEquals(lastSeen, lastSeenMillis(id), "last_seen_at advanced during the cut");
        assertTrue(w.isAlive(), () -> "worker died during the cut, log: " + w.logFile());

        // healed: the heartbeat resumes, new connections work
        host.heal();
        long healed = System.nanoTime();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> lastSeenMillis(id) > lastSeen && ageMillis(id) < 1500);
        log("heartbeat resumed", healed);
        assertEquals("PONG", ping(host, Duration.ofSeconds(5)).output().strip());
        assertTrue(w.isAlive(), () -> "worker died, log: " + w.logFile());
    }

    private static PartitionedHost.Exec ping(PartitionedHost host, Duration timeout) {
        return host.exec(timeout, "redis-cli", "-h", host.redis().address().getAddress().getHostAddress(),
                "-p", String.valueOf(host.redis().address().getPort()), "ping");
    }

    /** A new TCP connection from inside the namespace (bash's /dev/tcp), given up at {@code timeout}. */
    private static PartitionedHost.Exec connect(PartitionedHost host, TcpForwarder to, Duration timeout) {
        return host.exec(timeout, "bash", "-c", "exec 3<>/dev/tcp/$0/$1",
                to.address().getAddress().getHostAddress(), String.valueOf(to.address().getPort()));
    }

    /** How old the worker's last_seen_at is, by the database's clock; -1 before it registers. */
    private static long ageMillis(String workerId) {
        return Db.count("select coalesce(max((extract(epoch from clock_timestamp() - last_seen_at) * 1000)::bigint), "
                + "-1) from worker where id = ?", workerId);
    }

    private static long lastSeenMillis(String workerId) {
        return Db.count("select coalesce(max((extract(epoch from last_seen_at) * 1000)::bigint), 0) "
                + "from worker where id = ?", workerId);
    }

    private static void log(String what, long since) {
        System.out.printf("[partition] %s: %d ms%n", what, Duration.ofNanos(System.nanoTime() - since).toMillis());
    }
}
