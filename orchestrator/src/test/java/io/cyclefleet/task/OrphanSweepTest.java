package io.cyclefleet.task;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The orphan sweep, on a queue no worker listens on: entries a worker fetched and never claimed (it died in between). */
@QuarkusTest
class OrphanSweepTest {

    private static final String QUEUE = "orphan-only";

    @Inject
    RedisTaskQueue queue;
    @Inject
    TaskStore store;

    @Test
    void entriesFetchedByAWorkerThatDiedBeforeClaimingAreSentAgainOrDroppedAsPostgresSays() {
        UUID cycle = submit(spec("orphans", List.of(Map.of("key", "waiting", "kind", "noop", "queue", QUEUE),
                Map.of("key", "taken", "kind", "noop", "queue", QUEUE))));
        long waiting = Db.count("select id from task where cycle_id = ? and step_key = 'waiting'", cycle);
        long taken = Db.count("select id from task where cycle_id = ? and step_key = 'taken'", cycle);
        await().atMost(Duration.ofSeconds(10)).until(() -> queue.depth(QUEUE) == 2);

        List<Delivery> fetched = queue.fetch(QUEUE, "died-after-fetch", 10, Duration.ofMillis(100));
        assertEquals(2, fetched.size());
        Delivery orphanOfWaiting = fetched.stream().filter(d -> d.taskId() == waiting).findFirst().orElseThrow();
        // 'taken' is claimed meanwhile (its row is RUNNING): its orphaned entry no longer means anything
        assertEquals(1, store.claim("elsewhere", fetched.stream().filter(d -> d.taskId() == taken).toList(), Duration.ofMinutes(1)).size());

        // past orphan-idle (4 s in tests) the sweep takes both entries over: 'waiting' goes out again, both old entries go
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> queue.depth(QUEUE) == 1);
        List<Delivery> again = queue.fetch(QUEUE, "alive", 10, Duration.ofMillis(100));
        assertEquals(List.of(waiting + "@1"), again.stream().map(d -> d.taskId() + "@" + d.attempt()).toList());
        assertNotEquals(orphanOfWaiting.messageId(), again.get(0).messageId(), "a new message, not the orphan handed on");
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'QUEUED' and attempt = 1", waiting),
                "re-sending is no attempt of the task's");
        queue.drop(again);
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().statusCode(200);
    }
}
