package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.submit;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Cycles;
import io.cyclefleet.support.Db;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cycle semantics of issue 3, each path driven on purpose with the diagnostic kinds and a separate
 * worker process: the standard template, automatic rollback (ROLLED_BACK with MTTR; FAILED with one
 * deduplicated critical incident), iteration up to maxIterations, approval pause and resume, deadlines.
 */
@QuarkusTest
class CycleSemanticsTest {

    private static WorkerProcess worker;

    @BeforeAll
    static void startWorker() throws Exception {
        worker = WorkerProcess.builder("semantics-a").start();
    }

    @AfterAll
    static void stopWorker() throws InterruptedException {
        worker.close();
    }

    private static Map<String, Object> stepOverride(String key, String kind, Map<String, Object> params) {
        return Map.of("key", key, "kind", kind, "params", params);
    }

    /** More failures than any step here has attempts: the step ends FAILED. */
    private static final Map<String, Object> FAILS = Map.of("times", 9);

    /**
     * The standard template with every kind replaced by a diagnostic one: scores 9 and 9 pass the gate,
     * deploy succeeds, {@code verify} and {@code rollback} behave as given.
     */
    private static Map<String, Object> standard(String target, Map<String, Object> verify, Map<String, Object> rollback) {
        Map<String, Object> spec = new HashMap<>();
        spec.put("template", "standard");
        spec.put("name", "std-" + target);
        spec.put("target", target);
        spec.put("steps", List.of(
                stepOverride("assess", "metric", Map.of("metrics", Map.of("error_rate", 0.001), "score", 9)),
                stepOverride("test", "metric", Map.of("score", 9)),
                stepOverride("deploy", "noop", Map.of()),
                verify,
                stepOverride("report", "noop", Map.of())));
        spec.put("rollback", Map.of("steps", List.of(rollback, stepOverride("verify-rollback", "noop", Map.of()))));
        return spec;
    }

    @Test
    void theStandardTemplateIsListedWithItsRollbackBranch() {
        JsonPath t = given().get("/api/v1/templates").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("assess", "test", "deploy", "verify", "report"), t.getList("find { it.name == 'standard' }.spec.steps.key"));
        assertEquals(List.of("deploy", "verify"), t.getList("find { it.name == 'standard' }.spec.rollback.triggers"));
        assertEquals(List.of("rollback", "verify-rollback"), t.getList("find { it.name == 'standard' }.spec.rollback.steps.key"));
    }

    @Test
    void aCleanStandardCycleSucceedsAndSkipsTheRollbackBranch() {
        UUID id = submit(standard("svc-clean", stepOverride("verify", "noop", Map.of()), stepOverride("rollback", "noop", Map.of())));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("SUCCEEDED", c.getString("status"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'report' }.status"));
        assertEquals("SKIPPED", c.getString("tasks.find { it.key == 'rollback' }.status"));
        assertEquals("rollback", c.getString("tasks.find { it.key == 'rollback' }.branch"));
        assertNull(c.get("rollback"));
        assertEquals(0, Db.count("select count(*) from task where cycle_id = ? and branch = 'rollback' and started_at is not null", id));
    }

    @Test
    void aFailedVerificationRollsBackAndRecordsMttr() {
        UUID id = submit(standard("svc-rollback", stepOverride("verify", "fail", FAILS), stepOverride("rollback", "noop", Map.of())));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("ROLLED_BACK", c.getString("status"));
        assertEquals("FAILED", c.getString("tasks.find { it.key == 'verify' }.status"));
        assertEquals("SKIPPED", c.getString("tasks.find { it.key == 'report' }.status"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'rollback' }.status"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'verify-rollback' }.status"));
        assertTrue(c.getString("rollback.cause").startsWith("fail step verify failed"), c.getString("rollback.cause"));
        long mttr = c.getLong("rollback.mttrMs");
        assertTrue(mttr > 0 && mttr < 30_000, "MTTR " + mttr);
        assertEquals(1, Db.count("""
                select count(*) from cycle c where id = ? and mttr_ms = (extract(epoch from c.rollback_finished_at - c.failure_detected_at) * 1000)::bigint
                  and failure_detected_at = (select finished_at from task where cycle_id = c.id and step_key = 'verify')""", id),
                "MTTR runs from the failed verification's end to the rollback verified");
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'cycle.rollback_started'", id));
        // a recovered rollback still tells someone why the deploy was bad, without paging
        assertEquals(1, Db.count("select count(*) from incident where latest_cycle_id = ? and cause = 'deployment-rolled-back' and severity = 'warning'", id));
    }

    @Test
    void aFailingDeployIsItselfARollbackTrigger() {
        Map<String, Object> spec = standard("svc-deploy-fails", stepOverride("verify", "noop", Map.of()), stepOverride("rollback", "noop", Map.of()));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> steps = new java.util.ArrayList<>((List<Map<String, Object>>) spec.get("steps"));
        steps.set(2, stepOverride("deploy", "fail", FAILS));
        spec.put("steps", steps);
        JsonPath c = awaitEnd(submit(spec), Duration.ofSeconds(30));
        assertEquals("ROLLED_BACK", c.getString("status"), c.prettify());
        assertEquals("FAILED", c.getString("tasks.find { it.key == 'deploy' }.status"));
        assertEquals("SKIPPED", c.getString("tasks.find { it.key == 'verify' }.status"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'rollback' }.status"));
        assertTrue(c.getString("rollback.cause").contains("deploy"), c.getString("rollback.cause"));
        assertEquals("trigger", c.getString("rollback.startedBy"));
    }

    @Test
    void theRollbacksStartCancelsAMainStepStillRunningInsteadOfWaitingForIt() {
        Map<String, Object> spec = new HashMap<>(Map.of("name", "soak", "target", "svc-soak",
                "steps", List.of(Map.of("key", "deploy", "kind", "noop"),
                        // the verification fails a second after the soak started
                        Map.of("key", "settle", "kind", "sleep", "dependsOn", List.of("deploy"), "params", Map.of("duration", "PT1S")),
                        Map.of("key", "verify", "kind", "fail", "dependsOn", List.of("settle"), "params", FAILS, "retry", Map.of("maxAttempts", 1)),
                        Map.of("key", "soak", "kind", "sleep", "dependsOn", List.of("deploy"), "params", Map.of("duration", "PT15S"))),
                "rollback", Map.of("triggers", List.of("deploy", "verify"), "steps", List.of(Map.of("key", "undo", "kind", "noop")))));
        UUID id = submit(spec);
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("ROLLED_BACK", c.getString("status"), c.prettify());
        assertEquals("CANCELLED", c.getString("tasks.find { it.key == 'soak' }.status"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'undo' }.status"));
        assertEquals(1, Db.count("""
                select count(*) from cycle c join task s on s.cycle_id = c.id and s.step_key = 'soak'
                where c.id = ? and s.started_at is not null and c.finished_at < s.started_at + interval '15 seconds'""", id),
                "the soak had started and the cycle ended without waiting for it");
        io.cyclefleet.support.TaskHistory.assertNoWriteAfterFinishing(id);
    }

    @Test
    void aFailingGateAfterTheDeployRollsBackToo() {
        Map<String, Object> spec = new HashMap<>(Map.of("name", "post-gate", "target", "svc-post-gate",
                "steps", List.of(Map.of("key", "deploy", "kind", "noop"),
                        Map.of("key", "verify", "kind", "metric", "dependsOn", List.of("deploy"),
                                "params", Map.of("metrics", Map.of("error_rate", 0.2)))),
                "gates", List.of(Map.of("key", "healthy", "dependsOn", List.of("verify"),
                        "conditions", List.of(Map.of("step", "verify", "metric", "error_rate", "op", "<=", "threshold", 0.01)))),
                "rollback", Map.of("triggers", List.of("deploy", "healthy"), "steps", List.of(Map.of("key", "undo", "kind", "noop")))));
        JsonPath c = awaitEnd(submit(spec), Duration.ofSeconds(30));
        assertEquals("ROLLED_BACK", c.getString("status"));
        assertTrue(c.getString("rollback.cause").contains("healthy"), c.getString("rollback.cause"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'undo' }.status"));
    }

    @Test
    void aFailedRollbackFailsTheCycleAndOpensOneCriticalIncidentHoweverOftenItRepeats() {
        Map<String, Object> spec = standard("svc-broken", stepOverride("verify", "fail", FAILS), stepOverride("rollback", "fail", FAILS));
        UUID first = submit(spec);
        JsonPath c = awaitEnd(first, Duration.ofSeconds(30));
        assertEquals("FAILED", c.getString("status"));
        assertTrue(c.getString("error").startsWith("rollback failed"), c.getString("error"));
        assertEquals("SKIPPED", c.getString("tasks.find { it.key == 'verify-rollback' }.status"));
        assertNull(c.get("rollback.mttrMs"), "no MTTR when nothing recovered");
        UUID second = submit(spec);
        assertEquals("FAILED", awaitEnd(second, Duration.ofSeconds(30)).getString("status"));

        JsonPath list = given().get("/api/v1/incidents?status=open").then().statusCode(200).extract().jsonPath();
        List<String> critical = list.getList("items.findAll { it.target == 'svc-broken' && it.cause == 'rollback-failed' }.id");
        assertEquals(1, critical.size(), "one incident per target and cause: " + list.prettify());
        String incident = critical.get(0);
        JsonPath i = given().get("/api/v1/incidents/" + incident).then().statusCode(200).extract().jsonPath();
        assertEquals("critical", i.getString("severity"));
        assertEquals(2, i.getInt("occurrences"));
        assertEquals(first.toString(), i.getString("cycleId"));
        assertEquals(second.toString(), i.getString("latestCycleId"));
        assertEquals(List.of("opened", "repeated"), i.getList("events.type"));
        assertTrue(i.getString("runbookUrl").endsWith("#rollback-failed"), i.getString("runbookUrl"));

        String report = given().accept("text/markdown").get("/api/v1/incidents/" + incident + "/report")
                .then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/markdown")).extract().asString();
        for (String expected : List.of("# [CRITICAL] Rollback failed", "| Target | svc-broken |", "| Occurrences | 2",
                "Failure detected: fail step verify failed", "### verify (fail, main branch)", "### rollback (fail, rollback branch)",
                "Rolled back: **NO", "| verify-rollback | noop | SKIPPED |", "## Timeline", "cycle.rollback_started",
                "incident.repeated by orchestrator", "#rollback-failed", "/api/v1/incidents/" + incident + "/ack")) {
            assertTrue(report.contains(expected), "report lacks '" + expected + "':\n" + report);
        }

        given().post("/api/v1/incidents/" + incident + "/ack").then().statusCode(200);
        assertEquals("acknowledged", given().get("/api/v1/incidents/" + incident).then().extract().path("status"));
        given().post("/api/v1/incidents/" + incident + "/resolve").then().statusCode(200);
        given().post("/api/v1/incidents/" + incident + "/ack").then().statusCode(409);
        // resolved: the same failure now opens a fresh incident
        UUID third = submit(spec);
        awaitEnd(third, Duration.ofSeconds(30));
        assertEquals(2, Db.count("select count(*) from incident where dedup_key = 'svc-broken:rollback-failed'"));
        assertEquals(1, Db.count("select count(*) from incident where dedup_key = 'svc-broken:rollback-failed' and status = 'open'"));
    }

    @Test
    void aRerunRollbackThatRecoversResolvesTheCriticalIncident() {
        Map<String, Object> once = Map.of("key", "rollback", "kind", "fail", "params", Map.of("times", 1), "retry", Map.of("maxAttempts", 1));
        UUID id = submit(standard("svc-rerun", stepOverride("verify", "fail", FAILS), once));
        assertEquals("FAILED", awaitEnd(id, Duration.ofSeconds(30)).getString("status"));
        assertEquals(1, Db.count("select count(*) from incident where dedup_key = 'svc-rerun:rollback-failed' and status = 'open'"));
        given().post("/api/v1/cycles/" + id + "/retry").then().statusCode(202);
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("ROLLED_BACK", c.getString("status"), "the rerun reran only the rollback branch, and it recovered");
        assertEquals("FAILED", c.getString("tasks.find { it.key == 'verify' }.status"), "the failure that started it stands");
        assertEquals(1, Db.count("select count(*) from incident where dedup_key = 'svc-rerun:rollback-failed' "
                + "and status = 'resolved' and resolved_by = 'orchestrator'"));
    }

    @Test
    void aCancelDoesNotStopARollbackUnlessAskedAndStoppingItOpensACriticalIncident() {
        UUID id = submit(standard("svc-cancelled", stepOverride("verify", "fail", FAILS),
                stepOverride("rollback", "sleep", Map.of("duration", "PT20S"))));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> "RUNNING".equals(Cycles.get(id).getString("tasks.find { it.key == 'rollback' }.status")));
        given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(409)
                .body("message", org.hamcrest.Matchers.containsString("rollback=false"));
        assertEquals("RUNNING", Cycles.get(id).getString("tasks.find { it.key == 'rollback' }.status"), "the rollback goes on");
        given().post("/api/v1/cycles/" + id + "/cancel?rollback=maybe").then().statusCode(400);
        given().post("/api/v1/cycles/" + id + "/cancel?rollback=false").then().statusCode(200);
        assertEquals("CANCELLED", Cycles.get(id).getString("status"));
        assertEquals(1, Db.count("select count(*) from incident where dedup_key = 'svc-cancelled:rollback-failed' and severity = 'critical'"));
    }

    @Test
    void iterationRepeatsBelowTheGoalAndStopsAtMaxIterations() {
        Map<String, Object> spec = Map.of("name", "iterate-3", "steps", List.of(Map.of("key", "assess", "kind", "metric",
                        "params", Map.of("score", 5))),
                "iterate", Map.of("untilScore", 8, "maxIterations", 3, "delay", "PT0.2S"));
        UUID first = submit(spec);
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(250)).until(() ->
                Db.count("select count(*) from cycle where name = 'iterate-3' and iteration = 3 and status = 'SUCCEEDED'") == 1);
        assertEquals(3, Db.count("select count(*) from cycle where name = 'iterate-3'"), "never beyond maxIterations");
        UUID second = UUID.fromString(Cycles.get(first).getString("nextIterationId"));
        JsonPath c2 = Cycles.get(second);
        assertEquals(first.toString(), c2.getString("parentId"));
        assertEquals(2, c2.getInt("iteration"));
        UUID third = UUID.fromString(c2.getString("nextIterationId"));
        JsonPath c3 = Cycles.get(third);
        assertNull(c3.get("nextIterationId"));
        assertNull(c3.get("nextIterationAt"));
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'cycle.iteration_not_started' "
                + "and detail like '%iteration 3 of at most 3%'", third));
    }

    @Test
    void iterationStopsOnceTheGoalIsReached() {
        UUID id = submit(Map.of("name", "iterate-good", "steps", List.of(Map.of("key", "assess", "kind", "metric", "params", Map.of("score", 9))),
                "iterate", Map.of("untilScore", 8, "maxIterations", 5)));
        awaitEnd(id, Duration.ofSeconds(30));
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'cycle.goal_reached'", id));
        assertEquals(0, Db.count("select count(*) from cycle where parent_id = ?", id));
    }

    private static Map<String, Object> risky(String name) {
        return Map.of("name", name, "maxAutoRisk", "low", "steps", List.of(
                Map.of("key", "assess", "kind", "noop"),
                Map.of("key", "deploy", "kind", "noop", "risk", "high", "dependsOn", List.of("assess")),
                Map.of("key", "verify", "kind", "noop", "dependsOn", List.of("deploy"))));
    }

    @Test
    void aRiskyStepWaitsForApprovalHoldingNoWorkerThenRuns() {
        UUID id = submit(risky("needs-approval"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> "AWAITING_APPROVAL".equals(Cycles.get(id).getString("status")));
        JsonPath c = Cycles.get(id);
        assertEquals(List.of("deploy"), c.getList("awaitingApproval"));
        assertEquals("PENDING", c.getString("tasks.find { it.key == 'deploy' }.status"));
        assertEquals(0, Db.count("select count(*) from task where cycle_id = ? and status in ('QUEUED', 'RUNNING', 'RETRY_WAIT')", id),
                "a waiting cycle holds no queue slot and no worker");
        // a waiting cycle is not "stalled": the reconciler's liveness repair leaves it alone, however long ago
        // its last step finished
        Db.update("update task set created_at = now() - interval '1 minute', finished_at = now() - interval '1 minute' "
                + "where cycle_id = ? and status = 'SUCCEEDED'", id);
        double repairs = stalledRepairs();
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> stalledRepairs() == repairs);
        given().contentType("application/json").body(Map.of("steps", List.of("verify")))
                .post("/api/v1/cycles/" + id + "/approve").then().statusCode(409);
        assertEquals("AWAITING_APPROVAL", Cycles.get(id).getString("status"), "an approval naming other steps approves nothing");
        given().contentType("application/json").body(Map.of("steps", List.of("deploy")))
                .post("/api/v1/cycles/" + id + "/approve").then().statusCode(200);
        JsonPath done = awaitEnd(id, Duration.ofSeconds(20));
        assertEquals("SUCCEEDED", done.getString("status"));
        assertEquals("test-operator", done.getString("tasks.find { it.key == 'deploy' }.approvedBy"), "the approver is the token's name");
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'cycle.approved' and detail like '%: deploy'", id));
        given().post("/api/v1/cycles/" + id + "/approve").then().statusCode(409);
    }

    private static double stalledRepairs() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("cyclefleet_reconciler_repairs_total{") && l.contains("stalled_cycle_advanced"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aRejectedStepEndsTheCycleCancelledWithoutRunningIt() {
        UUID id = submit(risky("rejected"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> "AWAITING_APPROVAL".equals(Cycles.get(id).getString("status")));
        given().post("/api/v1/cycles/" + id + "/reject").then().statusCode(200);
        JsonPath c = Cycles.get(id);
        assertEquals("CANCELLED", c.getString("status"));
        assertTrue(c.getString("error").startsWith("approval rejected by"), c.getString("error"));
        assertEquals(0, Db.count("select count(*) from task where cycle_id = ? and step_key = 'deploy' and started_at is not null", id));
    }

    @Test
    void aCycleThatOutlivesItsDeadlineFailsAndOpensAnIncident() {
        UUID id = submit(Map.of("name", "slow", "target", "svc-slow", "deadline", "PT1S",
                "steps", List.of(Map.of("key", "long", "kind", "sleep", "params", Map.of("duration", "PT30S")))));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(15));
        assertEquals("FAILED", c.getString("status"));
        assertTrue(c.getString("error").startsWith("deadline exceeded"), c.getString("error"));
        assertEquals(1, Db.count("select count(*) from incident where dedup_key = 'svc-slow:deadline-exceeded' and severity = 'error'"));
    }

    @Test
    void theDeadlineNeverStopsARunningRollbackButTheRollbacksOwnDeadlineEndsItWithACriticalIncident() {
        // the cycle's deadline passes while its rollback runs: the rollback goes on and recovers
        Map<String, Object> spec = new HashMap<>(standard("svc-deadline-rb", stepOverride("verify", "fail", FAILS),
                stepOverride("rollback", "sleep", Map.of("duration", "PT8S"))));
        // long enough for the main branch to reach its failing verify even on a worker that has just started
        spec.put("deadline", "PT5S");
        UUID id = submit(spec);
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("ROLLED_BACK", c.getString("status"), c.prettify());
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'rollback' }.status"));
        assertTrue(Db.count("select count(*) from cycle where id = ? and deadline_at < rollback_finished_at", id) == 1,
                "the deadline passed during the rollback");

        // a rollback past its own deadline: the cycle fails and on-call is paged
        Map<String, Object> slow = new HashMap<>(standard("svc-rollback-deadline", stepOverride("verify", "fail", FAILS),
                stepOverride("rollback", "sleep", Map.of("duration", "PT30S"))));
        slow.put("rollbackDeadline", "PT2S");
        UUID late = submit(slow);
        JsonPath l = awaitEnd(late, Duration.ofSeconds(30));
        assertEquals("FAILED", l.getString("status"));
        assertTrue(l.getString("error").startsWith("rollback not finished within its deadline of PT2S"), l.getString("error"));
        assertEquals("CANCELLED", l.getString("tasks.find { it.key == 'rollback' }.status"));
        assertEquals(1, Db.count("select count(*) from incident where dedup_key = 'svc-rollback-deadline:rollback-failed' and severity = 'critical'"));
    }

    @Test
    void aFailedCycleOpensAnIncidentWhenItsSpecAsksEvenIfNothingWasDeployed() {
        Map<String, Object> failing = Map.of("key", "check", "kind", "fail", "params", FAILS, "retry", Map.of("maxAttempts", 1));
        UUID quiet = submit(Map.of("name", "quiet", "target", "svc-quiet", "steps", List.of(failing)));
        assertEquals("FAILED", awaitEnd(quiet, Duration.ofSeconds(20)).getString("status"));
        assertEquals(0, Db.count("select count(*) from incident where latest_cycle_id = ?", quiet), "by default a failure before any deploy pages nobody");

        UUID loud = submit(Map.of("name", "loud", "target", "svc-loud", "incidentOnFailure", true, "steps", List.of(failing)));
        assertEquals("FAILED", awaitEnd(loud, Duration.ofSeconds(20)).getString("status"));
        assertEquals(1, Db.count("select count(*) from incident where latest_cycle_id = ? and cause = 'cycle-failed' and severity = 'error'", loud));
    }
}
