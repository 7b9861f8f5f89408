package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class QueueSemanticsTest {

    @Test
    void highPriorityRunsBeforeLowAndQueuesAreIsolated() throws Exception {
        List<Map<String, Object>> steps = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            steps.add(Map.of("key", "low" + i, "kind", "noop", "queue", "prio", "priority", "low"));
        }
        for (int i = 0; i < 3; i++) {
            steps.add(Map.of("key", "high" + i, "kind", "noop", "queue", "prio", "priority", "high"));
        }
        UUID id = submit(spec("priorities", steps));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and dispatched_at is not null", id) == 9);
        // a worker on another queue must not touch them
        try (WorkerProcess other = WorkerProcess.builder("prio-other").start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> Db.count("select count(*) from worker where id = 'prio-other'") == 1);
            assertEquals(0, Db.count("select count(*) from task where cycle_id = ? and status <> 'QUEUED'", id));
        }
        try (WorkerProcess w = WorkerProcess.builder("prio-a").with("cyclefleet.worker.queues", "prio")
                .with("cyclefleet.worker.concurrency", "1").with("cyclefleet.worker.prefetch", "16").start()) {
            // one fetch takes all nine (high first); the single task thread must then keep that order
            assertEquals("SUCCEEDED", awaitEnd(id, Duration.ofSeconds(30)).getString("status"));
        }
        assertEquals(0, Db.count("""
                select count(*) from task h, task l
                where h.cycle_id = ? and l.cycle_id = h.cycle_id and h.priority = 'high' and l.priority = 'low'
                  and h.started_at > l.started_at""", id), "every high-priority task started before every low one");
    }
}
