package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.sleeps;
import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
            assertEquals(12, Db.count("select count(*) from cycle_event where cycle_id = ? and type = 'task.succeeded'", id));
            assertEquals(12, Db.count("select count(distinct task_id) from cycle_event where cycle_id = ? and type = 'task.succeeded'", id));
        }
    }
}
