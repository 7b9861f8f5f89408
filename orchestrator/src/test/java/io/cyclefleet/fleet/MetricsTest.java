package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.PrometheusText;
import io.cyclefleet.support.WorkerProcess;
import io.cyclefleet.testing.RequiredTools;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The metrics both services publish, checked against what a cycle really did (docs/architecture.md, "Metrics"). */
@QuarkusTest
class MetricsTest {

    @Inject
    FleetStats stats;

    @Test
    void workerAndOrchestratorCountWhatACycleDid() throws Exception {
        PrometheusText before = orchestrator();
        int port = freePort();
        try (WorkerProcess w = WorkerProcess.builder("metrics-a").with("quarkus.http.port", Integer.toString(port))
                .with("cyclefleet.worker.queues", "metrics").start()) {
            Map<String, Object> flaky = Map.of("key", "flaky", "kind", "fail", "queue", "metrics", "params", Map.of("times", 1),
                    "retry", Map.of("maxAttempts", 2, "backoff", "PT0.2S"));
            Map<String, Object> broken = Map.of("key", "broken", "kind", "fail", "queue", "metrics", "params", Map.of("times", 5),
                    "retry", Map.of("maxAttempts", 1));
            UUID id = submit(spec("metrics", List.of(
                    step("metrics", "ok0", "noop", Map.of()), step("metrics", "ok1", "noop", Map.of()),
                    step("metrics", "ok2", "noop", Map.of()), flaky, broken)));
            assertEquals("FAILED", awaitEnd(id, Duration.ofSeconds(30)).getString("status"));

            String url = "http://127.0.0.1:" + port + "/q/metrics";
            PrometheusText m = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> PrometheusText.scrape(url), t -> t.sum("cyclefleet_tasks_completed_total", "queue", "metrics") == 5);
            assertEquals(3, m.sum("cyclefleet_tasks_started_total", "queue", "metrics", "kind", "noop"));
            assertEquals(3, m.sum("cyclefleet_tasks_started_total", "queue", "metrics", "kind", "fail"), "flaky twice, broken once");
            assertEquals(4, m.sum("cyclefleet_tasks_completed_total", "queue", "metrics", "outcome", "succeeded"));
            assertEquals(1, m.sum("cyclefleet_tasks_completed_total", "queue", "metrics", "kind", "fail", "outcome", "failed"));
            assertEquals(1, m.sum("cyclefleet_task_retries_total", "queue", "metrics", "kind", "fail"));
            assertEquals(0, m.sum("cyclefleet_results_rejected_total"));
            assertEquals(0, m.sum("cyclefleet_deliveries_rejected_total"));
            assertEquals(3, m.sum("cyclefleet_task_duration_seconds_count", "kind", "noop", "outcome", "succeeded"));
            assertEquals(1, m.sum("cyclefleet_task_duration_seconds_count", "kind", "fail", "outcome", "retry"));
            assertEquals(6, m.sum("cyclefleet_task_queue_wait_seconds_count", "queue", "metrics"), "one claim per attempt");
            assertEquals(6, m.sum("cyclefleet_task_queue_wait_seconds_bucket", "queue", "metrics", "le", "+Inf"));
            assertEquals(4, m.sum("cyclefleet_worker_concurrency"));
            assertEquals(0, m.sum("cyclefleet_worker_draining"));
            // a kind this worker handles but did not run is there at zero, so rate() sees it from the start
            assertEquals(1, m.matching("cyclefleet_tasks_started_total", "queue", "metrics", "kind", "sleep").size());

            PrometheusText after = await().atMost(Duration.ofSeconds(10))
                    .until(MetricsTest::orchestrator, t -> t.sum("cyclefleet_workers_live") >= 1
                            && t.matching("cyclefleet_queue_depth", "queue", "metrics").size() == 1);
            assertEquals(6, delta(before, after, "cyclefleet_tasks_enqueued_total", "queue", "metrics"), "5 first sends and 1 retry");
            assertEquals(3, delta(before, after, "cyclefleet_tasks_enqueued_total", "queue", "metrics", "kind", "fail", "priority", "normal"),
                    "flaky and broken sent once each, and flaky's retry");
            assertEquals(1, delta(before, after, "cyclefleet_cycles_submitted_total"));
            assertEquals(1, delta(before, after, "cyclefleet_cycles_finished_total", "outcome", "FAILED"));
            assertEquals(0, after.sum("cyclefleet_queue_depth", "queue", "metrics"));
        }
    }

    @Test
    void backlogDepthAndAgeCountTasksNobodyTakes() throws Exception {
        Map<String, Object> a = Map.of("key", "a", "kind", "noop", "queue", "metrics-idle");
        Map<String, Object> b = Map.of("key", "b", "kind", "noop", "queue", "metrics-idle");
        UUID id = submit(spec("backlog", List.of(a, b)));
        PrometheusText waiting = await().atMost(Duration.ofSeconds(15)).until(MetricsTest::orchestrator,
                t -> t.sum("cyclefleet_queue_depth", "queue", "metrics-idle") == 2
                        && t.sum("cyclefleet_queue_backlog_age_seconds", "queue", "metrics-idle") >= 1.5);
        assertEquals(0, waiting.sum("cyclefleet_queue_running", "queue", "metrics-idle"));
        assertTrue(waiting.sum("cyclefleet_cycles_active", "status", "RUNNING") >= 1);

        given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(200);
        PrometheusText drained = await().atMost(Duration.ofSeconds(10)).until(MetricsTest::orchestrator,
                t -> t.sum("cyclefleet_queue_depth", "queue", "metrics-idle") == 0);
        assertEquals(0, drained.sum("cyclefleet_queue_backlog_age_seconds", "queue", "metrics-idle"),
                "an idle queue reports 0, not its last age");
    }

    @Test
    void deploymentsOfRolledBackCyclesAreNotSuccesses() {
        FleetStats.Deployments before = stats.snapshot().deployments();
        UUID ok = deployCycle("SUCCEEDED", false, "SUCCEEDED");
        UUID rolledBack = deployCycle("ROLLED_BACK", true, "SUCCEEDED");
        UUID failed = deployCycle("ROLLED_BACK", true, "FAILED");
        UUID running = deployCycle("RUNNING", false, "SUCCEEDED"); // not finished: its outcome is not known yet
        try {
            FleetStats.Deployments after = stats.snapshot().deployments();
            assertEquals(before.succeeded() + 1, after.succeeded());
            assertEquals(before.rolledBack() + 1, after.rolledBack());
            assertEquals(before.failed() + 1, after.failed());
            assertEquals((double) after.succeeded() / after.total(), after.successRatio(), 1e-9);
        } finally {
            for (UUID id : List.of(ok, rolledBack, failed, running)) {
                Db.update("delete from cycle where id = ?", id);
            }
        }
    }

    @Test
    void promtoolFindsBothServicesMetricsClean() throws Exception {
        RequiredTools.require(PrometheusText.promtoolInstalled(),
                "promtool is not installed (Debian package prometheus; .ci/run installs it): /q/metrics was not linted");
        int port = freePort();
        try (WorkerProcess w = WorkerProcess.builder("metrics-lint").with("quarkus.http.port", Integer.toString(port))
                .with("cyclefleet.worker.queues", "metrics-lint").start()) {
            UUID id = submit(spec("lint", List.of(step("metrics-lint", "a", "noop", Map.of()),
                    step("metrics-lint", "b", "sleep", Map.of("duration", "PT0.1S")))));
            awaitEnd(id, Duration.ofSeconds(30));
            PrometheusText worker = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> PrometheusText.scrape("http://127.0.0.1:" + port + "/q/metrics"),
                            t -> t.sum("cyclefleet_task_duration_seconds_count") >= 2);
            assertNull(worker.promtoolProblems(), "promtool check metrics on the worker's /q/metrics");
            assertNull(orchestrator().promtoolProblems(), "promtool check metrics on the orchestrator's /q/metrics");
        }
    }

    private static Map<String, Object> step(String queue, String key, String kind, Map<String, Object> params) {
        return Map.of("key", key, "kind", kind, "queue", queue, "params", params);
    }

    private static UUID deployCycle(String cycleStatus, boolean rollbackTriggered, String deployStatus) {
        UUID id = UUID.randomUUID();
        boolean finished = !"RUNNING".equals(cycleStatus);
        Db.update("insert into cycle (id, name, status, spec, finished_at, failure_detected_at) values (?, 'deploys', ?, '{}'::jsonb, "
                + (finished ? "now()" : "null") + ", " + (rollbackTriggered ? "now()" : "null") + ")", id, cycleStatus);
        Db.update("""
                insert into task (cycle_id, step_key, kind, queue, priority, status, max_attempts, backoff_ms, max_backoff_ms,
                                  timeout_ms, finished_at)
                values (?, 'deploy', 'deployment', 'default', 'normal', ?, 1, 1000, 1000, 1000, now())""", id, deployStatus);
        return id;
    }

    private static double delta(PrometheusText before, PrometheusText after, String name, String... labels) {
        return after.sum(name, labels) - before.sum(name, labels);
    }

    static PrometheusText orchestrator() {
        return new PrometheusText(given().accept(PrometheusText.TEXT_FORMAT).get("/q/metrics").then().statusCode(200).extract().asString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
