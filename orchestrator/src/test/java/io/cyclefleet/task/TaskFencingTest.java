package io.cyclefleet.task;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.maintenance.Reconciler;
import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.queue.QueuedTask;
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
    @Inject
    io.cyclefleet.cycle.CycleAdvancer advancer;

    private static TaskOutcome succeeded(long task, int attempt, UUID cycle, String resultJson) {
        return new TaskOutcome(task, attempt, cycle, TaskStatus.SUCCEEDED, resultJson, null, null, null, null, TaskOutcome.Fault.NONE);
    }

    private static Delivery delivery(long task, int attempt) {
        return new Delivery("fencing-only", Priority.NORMAL, "0-" + attempt, task, attempt);
    }

    private static long taskOf(UUID cycle, String step) {
        return Db.count("select id from task where cycle_id = ? and step_key = ?", cycle, step);
    }

    private static void assertResultRejected(long task, int attempt, String worker) {
        assertEquals(1, Db.count("select count(*) from cycle_timeline where task_id = ? and type = 'task.result_rejected' and attempt = ? "
                + "and worker_id = ?", task, attempt, worker), "the refused result is on the timeline");
    }

    @Test
    void aLateResultForACancelledTaskIsRejected() {
        UUID cycle = submit(spec("fencing-cancelled", List.of(Map.of("key", "t", "kind", "noop", "queue", "fencing-only"))));
        long task = taskOf(cycle, "t");
        assertEquals(1, store.claim("runner", List.of(delivery(task, 1)), Duration.ofMinutes(1)).size());
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().statusCode(200);
        long mark = io.cyclefleet.support.TaskHistory.now();

        assertTrue(store.complete("runner", List.of(succeeded(task, 1, cycle, "{\"late\":true}"))).accepted().isEmpty());
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'CANCELLED' and result is null", task));
        assertEquals(0, io.cyclefleet.support.TaskHistory.writesSince(task, mark), "the cancelled row was not written");
        assertResultRejected(task, 1, "runner");
    }

    @Test
    void anOldRunsResultAfterARetryIsRejectedAndTheRerunStaysItsOwn() {
        UUID cycle = submit(spec("fencing-retried", List.of(Map.of("key", "slow", "kind", "noop", "queue", "fencing-only"))));
        long slow = taskOf(cycle, "slow");
        assertEquals(1, store.claim("old", List.of(delivery(slow, 1)), Duration.ofMinutes(1)).size());
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().statusCode(200);
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'CANCELLED' and attempt = 1", slow));
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/retry").then().statusCode(202);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                Db.count("select count(*) from task where id = ? and status = 'QUEUED' and attempt = 2", slow) == 1);

        assertTrue(store.complete("old", List.of(succeeded(slow, 1, cycle, "{\"stale\":true}"))).accepted().isEmpty(),
                "the run from before the retry cannot finish the rerun");
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'QUEUED' and attempt = 2 and result is null", slow));
        assertResultRejected(slow, 1, "old");
        assertTrue(store.claim("old", List.of(delivery(slow, 1)), Duration.ofMinutes(1)).isEmpty(), "nor claim it at its old attempt");

        assertEquals(1, store.claim("new", List.of(delivery(slow, 2)), Duration.ofMinutes(1)).size());
        assertEquals(java.util.Set.of(slow), store.complete("new", List.of(succeeded(slow, 2, cycle, "{}"))).accepted());
        advancer.advance(List.of(cycle));
        assertEquals("SUCCEEDED", io.cyclefleet.support.Cycles.get(cycle).getString("status"), "the rerun finished the cycle");
    }

    @Test
    void aSecondCompletionOfTheSameAttemptChangesNothing() {
        UUID cycle = submit(spec("fencing-twice", List.of(Map.of("key", "t", "kind", "noop", "queue", "fencing-only"),
                Map.of("key", "hold", "kind", "noop", "queue", "fencing-only"))));
        long task = taskOf(cycle, "t");
        assertEquals(1, store.claim("runner", List.of(delivery(task, 1)), Duration.ofMinutes(1)).size());
        assertEquals(java.util.Set.of(task), store.complete("runner", List.of(succeeded(task, 1, cycle, "{\"n\":1}"))).accepted());
        long mark = io.cyclefleet.support.TaskHistory.now();

        assertTrue(store.complete("runner", List.of(succeeded(task, 1, cycle, "{\"n\":2}"))).accepted().isEmpty());
        assertTrue(store.complete("runner", List.of(TaskOutcome.failure(task, 1, cycle, TaskStatus.FAILED, "late failure", null)))
                .accepted().isEmpty());
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'SUCCEEDED' and result->>'n' = '1'", task));
        assertEquals(0, io.cyclefleet.support.TaskHistory.writesSince(task, mark), "the finished row was not written again");
        assertEquals(2, Db.count("select count(*) from cycle_timeline where task_id = ? and type = 'task.result_rejected'", task));
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().statusCode(200);
    }

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
        assertEquals(1, Db.count("select count(*) from cycle_timeline where task_id = ? and type = 'task.result_rejected' "
                + "and attempt = 1 and worker_id = 'ghost'", task));
        assertEquals(1, Db.count("select count(*) from cycle_timeline where task_id = ? and type = 'task.delivery_rejected' "
                + "and worker_id = 'twin'", task), "the twin's claim was recorded as rejected");

        List<ClaimedTask> second = store.claim("heir", List.of(new Delivery("fencing-only", Priority.NORMAL, "0-2", task, 2)), Duration.ofMinutes(1));
        assertEquals(1, second.size());
        TaskStore.Completion won = store.complete("heir", List.of(new TaskOutcome(task, 2, cycle, TaskStatus.SUCCEEDED, "{}", null, null, null, null, TaskOutcome.Fault.NONE)));
        assertEquals(java.util.Set.of(task), won.accepted());
        assertEquals(java.util.Set.of(cycle), won.cycles());
        assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'SUCCEEDED' and worker_id = 'heir'", task));
    }

    @Test
    void aCancelRacingACompletionEndsConsistentlyEveryTime() throws Exception {
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 25; round++) {
                UUID cycle = submit(spec("race-" + round, List.of(Map.of("key", "t", "kind", "noop", "queue", "fencing-only"))));
                long task = taskOf(cycle, "t");
                assertEquals(1, store.claim("racer", List.of(delivery(task, 1)), Duration.ofMinutes(1)).size());
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                var completion = two.submit(() -> {
                    start.await();
                    TaskStore.Completion c = store.complete("racer", List.of(succeeded(task, 1, cycle, "{}")));
                    advancer.advance(c.cycles());
                    return !c.accepted().isEmpty();
                });
                var cancel = two.submit(() -> {
                    start.await();
                    return io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().extract().statusCode();
                });
                boolean written = completion.get(20, java.util.concurrent.TimeUnit.SECONDS); // no deadlock, either way
                int cancelled = cancel.get(20, java.util.concurrent.TimeUnit.SECONDS);

                String why = "round " + round + ": result " + (written ? "written" : "refused") + ", cancel answered " + cancelled;
                String cycleStatus = io.cyclefleet.support.Cycles.get(cycle).getString("status");
                String taskStatus = Db.count("select count(*) from task where id = ? and status = 'SUCCEEDED'", task) == 1 ? "SUCCEEDED"
                        : Db.count("select count(*) from task where id = ? and status = 'CANCELLED'", task) == 1 ? "CANCELLED" : "other";
                if (written) {
                    assertEquals("SUCCEEDED", taskStatus, why);
                    // the cycle is SUCCEEDED if the advance came first, CANCELLED if the cancel did
                    assertEquals(cancelled == 409 ? "SUCCEEDED" : "CANCELLED", cycleStatus, why);
                } else {
                    assertEquals(200, cancelled, why);
                    assertEquals("CANCELLED", taskStatus, why);
                    assertEquals("CANCELLED", cycleStatus, why);
                    assertResultRejected(task, 1, "racer");
                }
                assertEquals(1, Db.count("select count(*) from test_task_history where task_id = ? and old_status = 'RUNNING'", task),
                        why + ": the running row was ended once");
            }
        } finally {
            two.shutdownNow();
        }
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
    void aHeartbeatNeverWaitsOnALockedRowItJudgesItAtTheNextBeat() throws Exception {
        UUID cycle = submit(spec("heartbeat-locked", List.of(
                Map.of("key", "a", "kind", "noop", "queue", "fencing-only"),
                Map.of("key", "b", "kind", "noop", "queue", "fencing-only"),
                Map.of("key", "c", "kind", "noop", "queue", "fencing-only"))));
        long a = taskOf(cycle, "a"), b = taskOf(cycle, "b"), c = taskOf(cycle, "c");
        assertEquals(3, store.claim("beater", List.of(delivery(a, 1), delivery(b, 1), delivery(c, 1)), Duration.ofSeconds(30)).size());
        Db.update("update task set worker_id = 'someone-else' where id = ?", c); // c is no longer this worker's
        List<TaskAttempt> running = List.of(new TaskAttempt(a, 1), new TaskAttempt(b, 1), new TaskAttempt(c, 1));
        try (java.sql.Connection other = Db.connect()) {
            other.setAutoCommit(false);
            try (java.sql.PreparedStatement ps = other.prepareStatement("select 1 from task where id = ? for update")) {
                ps.setLong(1, a); // as the worker's own result write would, mid-transaction
                ps.executeQuery().close();
            }
            java.util.concurrent.CompletableFuture<TaskStore.Renewal> beat = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> store.extendLeases("beater", running, Duration.ofMinutes(10)));
            TaskStore.Renewal r = beat.get(10, java.util.concurrent.TimeUnit.SECONDS); // waiting on the lock would time out here
            assertEquals(java.util.Set.of(new TaskAttempt(b, 1)), r.held());
            assertEquals(java.util.Set.of(new TaskAttempt(a, 1)), r.busy(), "the locked row is left for the next beat, not judged lost");
            other.rollback();
        }
        assertEquals(1, Db.count("select count(*) from task where id = ? and lease_expires_at > now() + interval '5 minutes'", b));
        assertEquals(0, Db.count("select count(*) from task where id = ? and lease_expires_at > now() + interval '5 minutes'", a));
        TaskStore.Renewal next = store.extendLeases("beater", running, Duration.ofMinutes(10));
        assertEquals(java.util.Set.of(new TaskAttempt(a, 1), new TaskAttempt(b, 1)), next.held());
        assertTrue(next.busy().isEmpty());
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().statusCode(200);
    }

    @Test
    void aDispatchMarkSkipsATaskClaimedBeforeIt() throws Exception {
        UUID cycle = submit(spec("late-mark", List.of(
                Map.of("key", "claimed", "kind", "noop", "queue", "fencing-only"),
                Map.of("key", "waiting", "kind", "noop", "queue", "fencing-only"))));
        long claimed = taskOf(cycle, "claimed"), waiting = taskOf(cycle, "waiting");
        // the submit's own marks land within a flush or two; this test then marks again, by hand, late
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and dispatched_at is not null", cycle) == 2);
        assertEquals(1, Db.count("select count(*) from cycle where id = ? and status = 'RUNNING'", cycle), "marked RUNNING with its roots");
        Db.update("update task set dispatched_at = null, dispatch_entry = null where cycle_id = ?", cycle);
        assertEquals(1, store.claim("marker", List.of(delivery(claimed, 1)), Duration.ofMinutes(1)).size());
        int marked;
        try (java.sql.Connection c = Db.connect()) {
            marked = TaskStore.markDispatched(c, List.of(new QueuedTask(claimed, 1, "fencing-only", Priority.NORMAL, "noop"),
                    new QueuedTask(waiting, 1, "fencing-only", Priority.NORMAL, "noop")), java.util.Arrays.asList("1-1", "1-2"));
        }
        assertEquals(1, marked, "only the task still waiting on Redis is marked");
        assertEquals(1, Db.count("select count(*) from task where id = ? and dispatch_entry = '1-2'", waiting));
        assertEquals(1, Db.count("select count(*) from task where id = ? and dispatched_at is null and status = 'RUNNING'", claimed));
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
