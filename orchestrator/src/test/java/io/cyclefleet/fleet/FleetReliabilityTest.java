package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.sleeps;
import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.step;
import static io.cyclefleet.support.Cycles.submit;
import static io.cyclefleet.support.TaskHistory.assertEachTaskSucceededExactlyOnce;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.queue.Priority;
import io.cyclefleet.queue.QueuedTask;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.support.Db;
import io.cyclefleet.support.PrometheusText;
import io.cyclefleet.support.TaskHistory;
import io.cyclefleet.support.WorkerProcess;
import io.cyclefleet.support.Workers;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * The reliability claims, done for real: separate worker JVMs are killed with SIGKILL, stopped with
 * SIGTERM, Redis is flushed mid-run, finished tasks are delivered again. Each test asserts on its own
 * cycles only, through the API and directly in Postgres (the system of record).
 */
@QuarkusTest
class FleetReliabilityTest {

    @Inject
    RedissonClient redisson;
    @Inject
    RedisTaskQueue queue;

    private final Workers workers = new Workers();

    @AfterEach
    void stopWorkers() throws InterruptedException {
        workers.close();
    }

    @Test
    void killNineOfAWorkerHoldingTasksLosesNothing() throws Exception {
        WorkerProcess a = workers.start(WorkerProcess.builder("kill-a"));
        workers.start(WorkerProcess.builder("kill-b"));
        UUID id = submit(spec("kill9", sleeps("s", 16, "PT2S")));
        // holding tasks, and seen live (its first heartbeat may come after its first claims): then it can be seen gone
        await().atMost(Duration.ofSeconds(30)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and worker_id = 'kill-a' and status = 'RUNNING'", id) >= 2
                        && "LIVE".equals(workerState("kill-a")));

        a.kill9();
        List<Long> held = Db.longs("select id from task where cycle_id = ? and worker_id = 'kill-a' and status = 'RUNNING'", id);

        JsonPath c = awaitEnd(id, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", c.getString("status"));
        assertEachTaskSucceededExactlyOnce(id, 16);
        assertTrue(Db.count("select count(*) from task where cycle_id = ? and attempt >= 2", id) >= 2,
                "the killed worker's tasks were redelivered at a later attempt");
        assertTrue(Db.count("select count(*) from cycle_timeline where cycle_id = ? and detail like 'lease expired: worker kill-a%'", id) >= 2);
        for (long task : held) {
            assertEquals(1, Db.count("select count(*) from task where id = ? and status = 'SUCCEEDED' and worker_id = 'kill-b' and attempt >= 2 "
                    + "and max_attempts - attempt = 2", task), "task " + task + ", held by the killed worker, was finished by the other one "
                    + "at a later attempt without spending one of its 3");
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> "GONE".equals(workerState("kill-a")));
    }

    @Test
    void flushAllMidRunLosesNothing() throws Exception {
        workers.start(WorkerProcess.builder("flush-a"));
        List<Map<String, Object>> steps = new ArrayList<>(sleeps("s", 24, "PT0.3S"));
        steps.add(step("last", "noop", Map.of(), steps.stream().map(s -> (String) s.get("key")).toArray(String[]::new)));
        UUID id = submit(spec("flushall", steps));
        await().atMost(Duration.ofSeconds(30)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and status = 'SUCCEEDED'", id) >= 4);

        double refills = orchestratorMetric("cyclefleet_reconciler_repairs_total", "repair", "redis_data_lost");
        long queuedAtFlush = Db.count("select count(*) from task where cycle_id = ? and status = 'QUEUED'", id);
        redisson.getKeys().flushall();

        JsonPath c = awaitEnd(id, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", c.getString("status"));
        assertEachTaskSucceededExactlyOnce(id, 25);
        assertTrue(queuedAtFlush > 0, "the flush took queued messages with it");
        assertEquals(refills + 1, orchestratorMetric("cyclefleet_reconciler_repairs_total", "repair", "redis_data_lost"),
                "the reconciler saw the dataset gone, once, and refilled it from Postgres");
        assertTrue(queue.epochPresent(), "the refilled Redis is marked, so it is not refilled again");
    }

    @Test
    void duplicateDeliveryOfAFinishedTaskChangesNothing() throws Exception {
        workers.start(WorkerProcess.builder("dup-a"));
        UUID id = submit(spec("duplicate", List.of(step("only", "fail", Map.of("times", 1)))));
        assertEquals("SUCCEEDED", awaitEnd(id, Duration.ofSeconds(30)).getString("status"));
        long taskId = Db.count("select id from task where cycle_id = ?", id);
        long mark = TaskHistory.now();
        long events = Db.count("select count(*) from cycle_timeline where task_id = ?", taskId);

        queue.enqueue(List.of(new QueuedTask(taskId, 1, "default", Priority.NORMAL, "fail"), new QueuedTask(taskId, 2, "default", Priority.HIGH, "fail")));

        await().atMost(Duration.ofSeconds(20)).until(() ->
                Db.count("select count(*) from cycle_timeline where task_id = ? and type = 'task.delivery_rejected'", taskId) == 2);
        assertEquals(0, TaskHistory.writesSince(taskId, mark), "the finished row was not written");
        assertEquals(events + 2, Db.count("select count(*) from cycle_timeline where task_id = ?", taskId), "only the two rejections were recorded");
        assertEquals("SUCCEEDED", given().get("/api/v1/cycles/" + id).then().extract().path("status"));
        assertEachTaskSucceededExactlyOnce(id, 1);
    }

    @Test
    void sigtermDrainsWithinTheGracePeriodAndHandsTheRestBackAtOnce() throws Exception {
        Duration drain = Duration.ofSeconds(3);
        WorkerProcess a = workers.start(WorkerProcess.builder("drain-a").with("cyclefleet.worker.concurrency", "3")
                .with("cyclefleet.worker.prefetch", "8").with("cyclefleet.worker.drain-timeout", "3s"));
        await().atMost(Duration.ofSeconds(20)).until(() -> "LIVE".equals(workerState("drain-a")));
        List<Map<String, Object>> steps = new ArrayList<>();
        steps.add(step("short0", "sleep", Map.of("duration", "PT1.5S")));
        steps.add(step("short1", "sleep", Map.of("duration", "PT1.5S")));
        steps.add(step("long", "sleep", Map.of("duration", "PT6S")));
        steps.addAll(sleeps("waiting", 5, "PT1S"));
        UUID id = submit(spec("drain", steps));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and worker_id = 'drain-a' and status = 'RUNNING'", id) == 8);

        Duration took = a.terminate(drain.plusSeconds(10));

        assertTrue(took.compareTo(drain.plusSeconds(5)) < 0, "drained worker took " + took + " to exit");
        assertEquals(5, Db.count("select count(*) from cycle_timeline where cycle_id = ? and to_status = 'QUEUED' and attempt = 1 "
                + "and detail like 'handed back unstarted%'", id), "unstarted tasks handed back at once, same attempt");
        assertEquals(2, Db.count("select count(*) from task where cycle_id = ? and step_key like 'short%' and status = 'SUCCEEDED' "
                + "and worker_id = 'drain-a' and attempt = 1", id), "in-flight tasks finished within the grace period");
        assertEquals(1, Db.count("select count(*) from task where cycle_id = ? and step_key = 'long' and status = 'QUEUED' and attempt = 2 "
                + "and max_attempts = 4", id), "the task still running at the deadline was handed back at its next attempt, "
                + "without using up a retry");
        assertEquals(0, Db.count("select count(*) from task where cycle_id = ? and status = 'RUNNING'", id), "nothing left leased by the gone worker");
        assertEquals("GONE", workerState("drain-a"));

        workers.start(WorkerProcess.builder("drain-b"));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(40));
        assertEquals("SUCCEEDED", c.getString("status"));
        assertEachTaskSucceededExactlyOnce(id, 8);
        assertEquals(0, Db.count("select count(*) from cycle_timeline where cycle_id = ? and detail like 'lease expired%'", id),
                "no task waited for its lease to expire");
    }

    @Test
    void aTaskLongerThanItsLeaseKeepsItByHeartbeat() throws Exception {
        workers.start(WorkerProcess.builder("lease-a").with("cyclefleet.worker.concurrency", "1").with("cyclefleet.worker.prefetch", "0"));
        workers.start(WorkerProcess.builder("lease-b"));
        UUID id = submit(spec("long-lease", List.of(step("long", "sleep", Map.of("duration", "PT7S")))));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("SUCCEEDED", c.getString("status"));
        assertEquals(1, c.getInt("tasks[0].attempts"), "a 7 s task under a 3 s lease was never redelivered");
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'task.running'", id));
    }

    @Test
    void retriesBackOffThenSucceedAndExhaustedRetriesFailTheCycle() throws Exception {
        workers.start(WorkerProcess.builder("retry-a"));
        UUID ok = submit(spec("retry-ok", List.of(Map.of("key", "flaky", "kind", "fail", "params", Map.of("times", 2),
                "retry", Map.of("maxAttempts", 3, "backoff", "PT0.2S", "maxBackoff", "PT1S")))));
        UUID bad = submit(spec("retry-bad", List.of(
                Map.of("key", "broken", "kind", "fail", "params", Map.of("times", 5), "retry", Map.of("maxAttempts", 2, "backoff", "PT0.2S")),
                Map.of("key", "slow", "kind", "sleep", "params", Map.of("duration", "PT10S"), "timeout", "PT1S", "retry", Map.of("maxAttempts", 1)),
                step("after", "noop", Map.of(), "broken"))));

        JsonPath good = awaitEnd(ok, Duration.ofSeconds(30));
        assertEquals("SUCCEEDED", good.getString("status"));
        assertEquals(3, good.getInt("tasks[0].attempts"));
        assertEquals(2, Db.count("select count(*) from cycle_timeline where cycle_id = ? and to_status = 'RETRY_WAIT'", ok));
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and to_status = 'QUEUED' and attempt = 3 "
                + "and worker_id is null and detail = 'retry after: planned failure 2 of 2'", ok), "the timeline says why it was queued again");
        // equal jitter: at least half of the capped exponential delay, 0.2 s then 0.4 s
        assertTrue(io.cyclefleet.support.Cycles.retryWaitMillis(ok, 1) >= 100, "attempt 2 waited its backoff");
        assertTrue(io.cyclefleet.support.Cycles.retryWaitMillis(ok, 2) >= 200, "attempt 3 waited its longer backoff");

        JsonPath failed = awaitEnd(bad, Duration.ofSeconds(30));
        assertEquals("FAILED", failed.getString("status"));
        assertTrue(failed.getString("error").contains("broken"), failed.getString("error"));
        assertEquals("FAILED", failed.getString("tasks.find { it.key == 'broken' }.status"));
        assertEquals("planned failure 2 of 5", failed.getString("tasks.find { it.key == 'broken' }.error"));
        assertEquals("timed out after PT1S", failed.getString("tasks.find { it.key == 'slow' }.error"));
        assertEquals("SKIPPED", failed.getString("tasks.find { it.key == 'after' }.status"));
    }

    @Test
    void aLiveWorkerDoesNotKeepALeaseItIsNotRunning() throws Exception {
        workers.start(WorkerProcess.builder("orphan-a"));
        await().atMost(Duration.ofSeconds(20)).until(() -> "LIVE".equals(workerState("orphan-a")));
        // a row that names the live worker but that it is not running (its claim's reply was lost, say)
        UUID id = submit(spec("orphaned-row", List.of(Map.of("key", "t", "kind", "noop", "queue", "orphan-only"))));
        long task = Db.count("select id from task where cycle_id = ?", id);
        Db.update("update task set status = 'RUNNING', worker_id = 'orphan-a', lease_expires_at = now() + interval '2 seconds' where id = ?", task);

        await().atMost(Duration.ofSeconds(20)).until(() ->
                Db.count("select count(*) from task where id = ? and status = 'QUEUED' and attempt = 2", task) == 1);
        given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(200);
    }

    @Test
    void metricsAndScoresAreStoredPerTaskAndAveragedOnTheCycle() throws Exception {
        workers.start(WorkerProcess.builder("metric-a"));
        UUID id = submit(spec("metrics", List.of(
                step("assess", "metric", Map.of("metrics", Map.of("latency_p99_ms", 182.5, "error_rate", 0.004), "score", 9)),
                step("test", "metric", Map.of("metrics", Map.of("pass_rate", 1.0), "score", 7), "assess"),
                step("report", "noop", Map.of(), "test"))));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("SUCCEEDED", c.getString("status"));
        assertEquals(182.5, c.getDouble("tasks.find { it.key == 'assess' }.metrics.latency_p99_ms"));
        assertEquals(0.004, c.getDouble("tasks.find { it.key == 'assess' }.metrics.error_rate"), 1e-9);
        assertEquals(9.0, c.getDouble("tasks.find { it.key == 'assess' }.score"));
        assertEquals(8.0, c.getDouble("averageScore"), "mean of the scored tasks only");
        assertNull(c.get("tasks.find { it.key == 'report' }.score"));
        assertEquals(1, Db.count("select count(*) from task where cycle_id = ? and step_key = 'test' and metrics->>'pass_rate' = '1.0'", id));
    }

    @Test
    void aFailedCycleRerunsFromItsFailedStepsKeepingWhatSucceeded() throws Exception {
        workers.start(WorkerProcess.builder("rerun-a"));
        UUID id = submit(spec("rerun", List.of(
                step("kept", "metric", Map.of("score", 9)),
                Map.of("key", "flaky", "kind", "fail", "params", Map.of("times", 1), "retry", Map.of("maxAttempts", 1)),
                step("after", "noop", Map.of(), "flaky", "kept"))));
        JsonPath failed = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("FAILED", failed.getString("status"));
        assertEquals("SKIPPED", failed.getString("tasks.find { it.key == 'after' }.status"));
        String keptFinished = failed.getString("tasks.find { it.key == 'kept' }.finishedAt");
        given().post("/api/v1/cycles/" + id + "/retry").then().statusCode(202);

        JsonPath rerun = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("SUCCEEDED", rerun.getString("status"));
        assertEquals(2, rerun.getInt("tasks.find { it.key == 'flaky' }.attempts"));
        assertEquals("SUCCEEDED", rerun.getString("tasks.find { it.key == 'after' }.status"));
        assertEquals(keptFinished, rerun.getString("tasks.find { it.key == 'kept' }.finishedAt"), "what succeeded was kept, not rerun");
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'task.succeeded' "
                + "and task_id = (select id from task where cycle_id = ? and step_key = 'kept')", id, id));
        given().post("/api/v1/cycles/" + id + "/retry").then().statusCode(409);
        given().post("/api/v1/cycles/" + UUID.randomUUID() + "/retry").then().statusCode(404);
    }

    private static double orchestratorMetric(String name, String... labels) {
        return new PrometheusText(given().get("/q/metrics").then().statusCode(200).extract().asString()).sum(name, labels);
    }

    private static String workerState(String id) {
        List<Map<String, Object>> list = given().get("/api/v1/workers").then().statusCode(200).extract().jsonPath().getList("$");
        return list.stream().filter(w -> id.equals(w.get("id"))).map(w -> (String) w.get("state")).findFirst().orElse("ABSENT");
    }
}
