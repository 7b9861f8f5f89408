package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.PartitionedHost;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A real partition: a worker runs in a network namespace this test makes (veth pairs, {@link PartitionedHost}), and
 * the test takes its links down so that its packets drop silently (no RST) — cut from Postgres only, then from both
 * Postgres and Redis — while it runs a test suite that logs, on the file system every worker shares, when each run
 * started and when it was killed. The cut-off worker must fence itself (kill its suite) before the reconciler expires
 * its lease, and another worker, outside, must run the task only after that: no task runs on two workers at once.
 */
@QuarkusTest
class PartitionTest {

    static final Path SUITE = Path.of("src/test/resources/suites/lifecycle.sh").toAbsolutePath();
    static final Duration LEASE = Duration.ofSeconds(6);

    record Run(long atMs, String event, String label) {
    }

    /** A worker's configuration: the 12 s lifecycle suite logging to {@code log}, a short lease renewed every second. */
    static Map<String, String> suite(Path log, Duration lease) {
        return Map.of("cyclefleet.suites.lifecycle.command", SUITE + " " + log + " {{label}} 12",
                "cyclefleet.suites.lifecycle.arguments.label", "[a-z0-9-]+",
                "cyclefleet.suites.lifecycle.timeout", "PT1M",
                "cyclefleet.worker.lease", lease.toSeconds() + "s", "cyclefleet.worker.heartbeat", "1s");
    }

    private static Map<String, Object> suiteCycle(String label) {
        return Map.of("name", "partition " + label, "steps", List.of(Map.of("key", "suite", "kind", "testing",
                "params", Map.of("suite", "lifecycle", "args", Map.of("label", label)), "timeout", "PT1M",
                "retry", Map.of("maxAttempts", 1))));
    }

    private static List<Run> runs(Path log, String label) throws Exception {
        return Files.readAllLines(log).stream().map(l -> l.split(" ")).filter(f -> f.length == 4 && f[2].equals(label))
                .map(f -> new Run(Long.parseLong(f[0]), f[1], f[2])).toList();
    }

    /** When the reconciler redelivered the task because its lease expired (Postgres' clock, epoch ms); 0 when it did not. */
    private static long leaseExpiredAt(UUID cycle) {
        return Db.count("""
                select coalesce((extract(epoch from min(at)) * 1000)::bigint, 0) from cycle_timeline
                where cycle_id = ? and type = 'task.queued' and detail like 'lease expired%'""", cycle);
    }

    @Test
    void aWorkerCutOffFencesItselfBeforeItsLeaseExpiresAndNoTaskRunsTwiceAtOnce() throws Exception {
        Path log = Files.createTempFile(Path.of("target"), "lifecycle", ".log").toAbsolutePath();
        try (PartitionedHost host = PartitionedHost.create();
                WorkerProcess inside = host.worker("cut-off").with(suite(log, LEASE)).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    Db.count("select count(*) from worker where id = ? and last_seen_at > now() - interval '2 seconds'", inside.id()) == 1);

            partition(host, inside, log, "postgres", host::cutPostgres);
            host.heal();
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    Db.count("select count(*) from worker where id = ? and last_seen_at > now() - interval '2 seconds'", inside.id()) == 1);
            partition(host, inside, log, "both", () -> {
                host.cutPostgres();
                host.cutRedis();
            });
        }
    }

    private void partition(PartitionedHost host, WorkerProcess inside, Path log, String label, Runnable cut) throws Exception {
        UUID id = submit(suiteCycle(label));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> !runs(log, label).isEmpty());
        assertEquals(inside.id(), io.cyclefleet.support.Cycles.get(id).getString("tasks[0].workerId"));
        try (WorkerProcess outside = WorkerProcess.builder("outside-" + label).with(suite(log, LEASE)).start()) {
            cut.run();
            JsonPath c = awaitEnd(id, Duration.ofSeconds(90));
            assertEquals("SUCCEEDED", c.getString("status"), c.prettify());
            assertEquals(outside.id(), c.getString("tasks[0].workerId"));
            assertEquals(1, c.getInt("tasks[0].leaseLosses"), "one lease lost to the partition, no attempt spent");
            List<Run> runs = runs(log, label);
            assertEquals(List.of("start", "killed", "start", "passed"), runs.stream().map(Run::event).toList(), runs.toString());
            long killed = runs.get(1).atMs();
            long expired = leaseExpiredAt(id);
            assertTrue(expired > 0, "the reconciler redelivered the task when its lease expired");
            assertTrue(killed < expired, "the cut-off worker killed its run (" + killed + ") before its lease expired (" + expired + ")");
            assertTrue(runs.get(2).atMs() > killed, "the task ran again only after the first run was killed: " + runs);
        }
    }
}
