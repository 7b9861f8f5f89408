package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.sleeps;
import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.Postgres;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Postgres stopped for real in the middle of a run: workers hold their results and write them once it is back. */
@QuarkusTest
class PostgresOutageTest {

    @Test
    void resultsWaitForPostgresAndNothingIsLostOrDoubled() throws Exception {
        try (WorkerProcess w = WorkerProcess.builder("pg-a").with("cyclefleet.worker.lease", "30s").start()) {
            UUID id = submit(spec("pg-outage", sleeps("s", 12, "PT0.5S")));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Db.count("select count(*) from task where cycle_id = ? and status = 'SUCCEEDED'", id) >= 2);
            try {
                Postgres.stop();
                await().atMost(Duration.ofSeconds(30)).until(() -> w.log().contains("could not write")
                        || w.log().contains("fetch from queue default failed"));
            } finally {
                Postgres.start();
            }
            assertEquals("SUCCEEDED", awaitEnd(id, Duration.ofSeconds(90)).getString("status"));
            io.cyclefleet.support.TaskHistory.assertEachTaskSucceededExactlyOnce(id, 12);
        }
    }

    @Test
    void resultsFinishedDuringAnOutageLongerThanTheLeaseAreKeptNotRedelivered() throws Exception {
        // leases of 8 s, an outage of 10 s: every lease has expired by Postgres' clock when it comes back; the
        // reconciler's grace after its own gap lets the worker write the results it holds before leases are judged
        try (WorkerProcess w = WorkerProcess.builder("pg-b").with("cyclefleet.worker.lease", "8s")
                .with("cyclefleet.worker.heartbeat", "2s").start()) {
            UUID id = submit(spec("pg-gap", sleeps("g", 4, "PT1S")));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Db.count("select count(*) from task where cycle_id = ? and status = 'RUNNING'", id) == 4);
            Postgres.downFor(Duration.ofSeconds(10));
            assertEquals("SUCCEEDED", awaitEnd(id, Duration.ofSeconds(60)).getString("status"));
            assertEquals(4, Db.count("select count(*) from task where cycle_id = ? and status = 'SUCCEEDED' and attempt = 1", id),
                    "each result written by the attempt that ran it");
            assertEquals(0, Db.count("select count(*) from cycle_timeline where cycle_id = ? and detail like 'lease expired%'", id),
                    "no lease was expired before the worker could renew it");
            assertTrue(w.isAlive());
        }
    }
}
