package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.submit;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.cyclefleet.support.Db;
import io.cyclefleet.support.WorkerProcess;
import io.cyclefleet.support.Workers;
import io.cyclefleet.testing.RequiredTools;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A worker protects the fleet from what runs on it, for real: a handler that ignores interruption cannot strand the
 * work the worker prefetched, a worker's skewed clock cannot move a retry, and a probe target streaming an endless
 * body cannot kill the worker.
 */
@QuarkusTest
class WorkerSafetyTest {

    private final Workers workers = new Workers();

    @AfterEach
    void stop() throws InterruptedException {
        workers.close();
    }

    @Test
    void aHungHandlerMakesItsWorkerNotReadyAndItsPrefetchedWorkRunsElsewhere() throws Exception {
        WorkerProcess sick = workers.start(WorkerProcess.builder("hangs").with("cyclefleet.worker.concurrency", "1")
                .with("cyclefleet.worker.prefetch", "3").with("cyclefleet.worker.hang-grace", "1s")
                .with("cyclefleet.worker.lease", "5s").with("cyclefleet.worker.heartbeat", "1s"));
        int port = sick.httpPort();
        List<Map<String, Object>> steps = new ArrayList<>();
        steps.add(Map.of("key", "stuck", "kind", "hang", "params", Map.of("duration", "PT12S", "times", 1), "timeout", "PT1S",
                "retry", Map.of("maxAttempts", 1)));
        for (int i = 0; i < 3; i++) {
            steps.add(Map.of("key", "after" + i, "kind", "noop"));
        }
        UUID id = submit(Map.of("name", "hung handler", "steps", steps));
        await().atMost(Duration.ofSeconds(30)).until(() -> sick.log().contains("hung: still running"));
        given().baseUri("http://127.0.0.1").port(port).get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'worker' }.data.hung", org.hamcrest.Matchers.containsString("(hang)"));
        WorkerProcess healthy = workers.start(WorkerProcess.builder("takes-over"));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", c.getString("status"), c.prettify());
        assertEquals(healthy.id(), c.getString("tasks.find { it.key == 'stuck' }.workerId"), "the hung task was redelivered elsewhere");
        assertEquals(1, c.getInt("tasks.find { it.key == 'stuck' }.leaseLosses"), "counted against its lease-loss bound, not its attempts");
        long elsewhere = c.getList("tasks.findAll { it.key.startsWith('after') }.workerId").stream().filter(healthy.id()::equals).count();
        assertTrue(elsewhere >= 1, "the work waiting behind the hung handler ran elsewhere: " + c.prettify());
        assertTrue(Db.count("select count(*) from cycle_timeline where cycle_id = ? and detail like 'handed back unstarted: a handler hangs%'", id) >= 1);
        assertTrue(sick.log().contains("task " + c.getLong("tasks.find { it.key == 'stuck' }.id") + " attempt 1 (hang, step stuck"),
                "the log says which task hung");
        // once the handler returns at last, the worker is ready again
        await().atMost(Duration.ofSeconds(30)).until(() ->
                given().baseUri("http://127.0.0.1").port(port).get("/q/health/ready").statusCode() == 200);
    }

    @Test
    void aRetryWaitsItsBackoffOnPostgresClockWhateverTheWorkersClockSays() throws Exception {
        // faketime(1) forks; env(1) execs, so the worker's pid and signals stay the JVM's own
        String lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
        RequiredTools.require(new java.io.File(lib).canRead(), "libfaketime (Debian package faketime; .ci/run installs it) is not installed");
        Map<String, Object> retried = Map.of("key", "flaky", "kind", "fail", "params", Map.of("times", 1),
                "retry", Map.of("maxAttempts", 2, "backoff", "PT2S", "maxBackoff", "PT2S"));
        for (String skew : List.of("+1h", "-1h")) {
            try (WorkerProcess w = WorkerProcess.builder("skewed" + skew).prefix(List.of("env", "LD_PRELOAD=" + lib, "FAKETIME=" + skew)).start()) {
                UUID id = submit(Map.of("name", "skew " + skew, "steps", List.of(retried)));
                JsonPath c = awaitEnd(id, Duration.ofSeconds(30)); // an hour ahead, the old worker-side time waited an hour
                assertEquals("SUCCEEDED", c.getString("status"), skew + ": " + c.prettify());
                long waitedMs = io.cyclefleet.support.Cycles.retryWaitMillis(id, 1);
                // equal jitter: between half the backoff and all of it (an hour behind, the old time ran it at once)
                assertTrue(waitedMs >= 900 && waitedMs < 6000, skew + ": attempt 2 started " + waitedMs + " ms after attempt 1 failed");
            }
        }
    }

    @Test
    void aProbeOfAServerStreamingAnEndlessBodyFailsClearlyAndTheWorkerLives() throws Exception {
        AtomicLong sent = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, 0); // chunked, no length: it never ends
            byte[] chunk = new byte[64 * 1024];
            try (OutputStream out = ex.getResponseBody()) {
                while (sent.get() < (4L << 30)) { // 4 GiB at most, should the client never stop
                    out.write(chunk);
                    sent.addAndGet(chunk.length);
                }
            } catch (java.io.IOException closedByTheClient) {
                // the worker stopped reading: what this test wants
            }
        });
        server.start();
        try {
            WorkerProcess w = workers.start(WorkerProcess.builder("probes").with("cyclefleet.worker.concurrency", "2"));
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            UUID id = submit(Map.of("name", "endless body", "steps", List.of(Map.of("key", "smoke", "kind", "testing",
                    "params", Map.of("smoke", List.of(Map.of("name", "endless", "url", url, "timeout", "PT20S"))),
                    "retry", Map.of("maxAttempts", 1)))));
            JsonPath c = awaitEnd(id, Duration.ofSeconds(60));
            assertEquals("FAILED", c.getString("status"));
            String error = c.getString("tasks[0].error");
            assertTrue(error.contains("endless") && error.contains("exceeds the 1 MiB limit"), error);
            assertTrue(sent.get() < (64L << 20), "the worker stopped the download, it did not read " + sent.get() + " bytes");
            assertTrue(w.isAlive(), "the worker lives");
            UUID after = submit(Map.of("name", "after the endless body", "steps", List.of(Map.of("key", "next", "kind", "noop"))));
            assertEquals("SUCCEEDED", awaitEnd(after, Duration.ofSeconds(30)).getString("status"));
            assertEquals(w.id(), io.cyclefleet.support.Cycles.get(after).getString("tasks[0].workerId"));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aWorkerResumedPastItsLeaseStopsItsRunAndNeverStartsWhatItHadPrefetched() throws Exception {
        java.nio.file.Path log = java.nio.file.Files.createTempFile(java.nio.file.Path.of("target"), "prefetch", ".log").toAbsolutePath();
        Map<String, String> suite = PartitionTest.suite(log, Duration.ofSeconds(5));
        WorkerProcess paused = workers.start(WorkerProcess.builder("paused").with(suite).with("cyclefleet.worker.concurrency", "1")
                .with("cyclefleet.worker.prefetch", "2"));
        List<Map<String, Object>> steps = new ArrayList<>();
        for (String label : List.of("first", "second", "third")) {
            steps.add(Map.of("key", label, "kind", "testing", "params", Map.of("suite", "lifecycle", "args", Map.of("label", label)),
                    "timeout", "PT1M", "retry", Map.of("maxAttempts", 1)));
        }
        UUID id = submit(Map.of("name", "prefetched", "steps", steps));
        // one run on the worker's only thread, the two others claimed and waiting behind it
        await().atMost(Duration.ofSeconds(30)).until(() -> java.nio.file.Files.readString(log).contains(" start ")
                && Db.count("select count(*) from task where cycle_id = ? and status = 'RUNNING' and worker_id = 'paused'", id) == 3);
        paused.pause();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> // the reconciler redelivered all three
                    Db.count("select count(*) from task where cycle_id = ? and attempt = 2", id) == 3);
        } finally {
            paused.resume();
        }
        workers.start(WorkerProcess.builder("resumes-nothing").with(suite));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", c.getString("status"), c.prettify());
        List<String> lines = java.nio.file.Files.readAllLines(log);
        for (String label : List.of("first", "second", "third")) {
            long starts = lines.stream().filter(l -> l.contains(" start " + label + " ")).count();
            long passed = lines.stream().filter(l -> l.contains(" passed " + label + " ")).count();
            assertEquals(1, passed, label + " passed once: " + lines);
            assertTrue(starts <= 2, label + ": " + lines);
        }
        // exactly one run was started on the paused worker: the prefetched ones were handed back, not started
        assertEquals(4, lines.stream().filter(l -> l.contains(" start ")).count(), "3 runs on the other worker and 1 killed: " + lines);
        assertEquals(1, lines.stream().filter(l -> l.contains(" killed ")).count(), lines.toString());
    }
}
