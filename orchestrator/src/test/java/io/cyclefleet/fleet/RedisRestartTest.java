package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.sleeps;
import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.RedisServer;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Redis shut down (without saving: everything in it is gone) and started again mid-run. */
@QuarkusTest
class RedisRestartTest {

    @Test
    void aRedisRestartMidRunLosesNothing() throws Exception {
        try (WorkerProcess w = WorkerProcess.builder("restart-a").start()) {
            UUID id = submit(spec("redis-restart", sleeps("s", 20, "PT0.3S")));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Db.count("select count(*) from task where cycle_id = ? and status = 'SUCCEEDED'", id) >= 4);
            try {
                RedisServer.shutdownWithoutSaving();
                await().atMost(Duration.ofSeconds(30)).until(() -> w.log().contains("fetch from queue default failed"));
            } finally {
                RedisServer.start();
            }
            assertEquals("SUCCEEDED", awaitEnd(id, Duration.ofSeconds(90)).getString("status"));
            io.cyclefleet.support.TaskHistory.assertEachTaskSucceededExactlyOnce(id, 20);
        }
    }
}
