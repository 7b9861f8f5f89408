package io.cyclefleet.task;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Invariant 2 step by step, in-process: a worker claims attempt 1, loses its lease, the reconciler
 * redelivers at attempt 2, and then the first worker's late result and a stale claim both arrive.
 */
@QuarkusTest
class TaskFencingTest {

    @Inject
    TaskStore store;
    @Inject
    Reconciler reconciler;

    @Test
    void aLateResultFromALostLeaseIsRejectedAndRecorded() {
        // a queue no worker listens on, so this test alone moves the task
        UUID cycle = submit(spec("fencing", List.of(Map.of("key", "t", "kind", "noop", "queue", "fencing-only"))));
        long task = Db.count("select id from task where cycle_id = ?", cycle);
        Delivery first = new Delivery("fencing-only", Priority.NORMAL, "0-1", task, 1);

        List<ClaimedTask> claimed = store.claim("ghost", List.of(first), Duration.ofMinutes(1));
        assertEquals(1, claimed.size());
        assertEquals("noop", claimed.get(0).kind());
        assertEquals(0, store.claim("twin", List.of(first), Duration.ofMinutes(1)).size(), "a second claim of the same attempt loses");

        Db.update("update task set lease_expires_at = now() - interval '1 second' where id = ?", task);
        reconciler.reconcile();
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'QUEUED' and attempt = 2", task));

        TaskStore.Completion late = store.complete("ghost", List.of(
                new TaskOutcome(task, 1, cycle, TaskStatus.SUCCEEDED, "{\"late\":true}", null, null, null, null, TaskOutcome.Fault.NONE)));
        assertTrue(late.accepted().isEmpty());
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'QUEUED' and attempt = 2 and result is null", task));
        assertEquals(1, Db.count("select count(*) from cycle_event where task_id = ? and type = 'task.result_rejected' "
                + "and attempt = 1 and worker_id = 'ghost'", task));
        assertEquals(1, Db.count("select count(*) from cycle_event where task_id = ? and type = 'task.delivery_rejected' "
                + "and worker_id = 'twin'", task), "the twin's claim was recorded as rejected");

        List<ClaimedTask> second = store.claim("heir", List.of(new Delivery("fencing-only", Priority.NORMAL, "0-2", task, 2)), Duration.ofMinutes(1));
        assertEquals(1, second.size());
        TaskStore.Completion won = store.complete("heir", List.of(new TaskOutcome(task, 2, cycle, TaskStatus.SUCCEEDED, "{}", null, null, null, null, TaskOutcome.Fault.NONE)));
        assertEquals(java.util.Set.of(task), won.accepted());
        assertEquals(java.util.Set.of(cycle), won.cycles());
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'SUCCEEDED' and worker_id = 'heir'", task));
    }

    @Test
    void aLostCompletionNoticeIsRecoveredWhileAnotherBranchStillRuns() {
        UUID cycle = submit(spec("lost-notice", List.of(
                Map.of("key", "a", "kind", "noop", "queue", "fencing-only"),
                Map.of("key", "slow", "kind", "noop", "queue", "fencing-only"),
                Map.of("key", "b", "kind", "noop", "queue", "fencing-only", "dependsOn", List.of("a")))));
        long a = Db.count("select id from task where cycle_id = ? and step_key = 'a'", cycle);
        long slow = Db.count("select id from task where cycle_id = ? and step_key = 'slow'", cycle);
        store.claim("w", List.of(new Delivery("fencing-only", Priority.NORMAL, "0-1", a, 1),
                new Delivery("fencing-only", Priority.NORMAL, "0-2", slow, 1)), Duration.ofMinutes(5));
        // 'a' finishes but its completion notice is never published; 'slow' keeps the cycle busy
        store.complete("w", List.of(new TaskOutcome(a, 1, cycle, TaskStatus.SUCCEEDED, null, null, null, null, null, TaskOutcome.Fault.NONE)));

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and step_key = 'b' and status = 'QUEUED'", cycle) == 1);
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().statusCode(200);
    }

    @Test
    void workersGoneLongerThanTheRetentionAreForgottenOthersStay() {
        String old = "gone-" + UUID.randomUUID();
        String recent = "recently-gone-" + UUID.randomUUID();
        String live = "live-" + UUID.randomUUID();
        String insert = "insert into worker (id, hostname, pid, queues, concurrency, status, last_seen_at)"
                + " values (?, 'h', 1, 'default', 1, ?, now() - ?::interval)";
        Db.update(insert, old, "GONE", "25 hours");
        Db.update(insert, recent, "GONE", "1 hour");
        Db.update(insert, live, "LIVE", "0 seconds");
        reconciler.reconcile();
        assertEquals(0, Db.count("select count(*) from worker where id = ?", old), "gone for over goneWorkersKept (24h)");
        assertEquals(2, Db.count("select count(*) from worker where id in (?, ?)", recent, live));
        Db.update("delete from worker where id in (?, ?)", recent, live);
    }
}
