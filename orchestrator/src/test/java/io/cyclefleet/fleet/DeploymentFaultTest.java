package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.DemoTargetService;
import io.cyclefleet.support.DemoTargetService.DeployEvent;
import io.cyclefleet.support.Postgres;
import io.cyclefleet.support.WorkerProcess;
import io.cyclefleet.support.Workers;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Deployment safety under faults, done for real (issue 10): worker JVMs frozen with SIGSTOP past their lease,
 * killed with SIGKILL, drained with SIGTERM, and PostgreSQL stopped, while a real `command` adapter deploys the demo
 * target (a real HTTP service, scripts/demo-target) whose deploy takes a few seconds. Each test asserts the version
 * the target actually runs at the end, from the target itself, and the target's own log of when each change ran.
 * The matrix these cover is in docs/reliability.md.
 */
@QuarkusTest
class DeploymentFaultTest {

    static final int PORT = 9391;
    static final Duration LEASE = Duration.ofSeconds(5);
    static final Duration ADAPTER_TIMEOUT = Duration.ofSeconds(12);

    private final Workers workers = new Workers();
    private DemoTargetService target;

    @BeforeEach
    void startTarget(org.junit.jupiter.api.TestInfo test) throws Exception {
        target = new DemoTargetService(test.getTestMethod().orElseThrow().getName(), PORT, Duration.ofSeconds(3));
        target.deploy("v1");
    }

    @AfterEach
    void stop() throws Exception {
        // nothing of this test may run on in the next one's workers (they deploy to the same port)
        Db.update("""
                update task set status = 'CANCELLED', finished_at = now(), lease_expires_at = null
                where status in ('PENDING', 'QUEUED', 'RUNNING', 'RETRY_WAIT')""");
        Db.update("update cycle set status = 'CANCELLED', finished_at = now() where finished_at is null");
        Db.update("delete from target_lease");
        workers.close();
        target.close();
    }

    private WorkerProcess worker(String id) throws Exception {
        return workers.start(WorkerProcess.builder(id).with(target.adapter("demo", ADAPTER_TIMEOUT))
                .with("cyclefleet.worker.lease", LEASE.toSeconds() + "s").with("cyclefleet.worker.heartbeat", "1s")
                .with("cyclefleet.worker.concurrency", "2").with("cyclefleet.worker.prefetch", "0"));
    }

    /** deploy → verify (error rate from the target's own stats), rolling back to what ran before when either fails. */
    private Map<String, Object> deployCycle(String target, String version, Map<String, Object> extra) {
        return deployCycle(target, version, "PT1S", extra);
    }

    /** The same, measuring {@code verifyDelay} after the deploy (long enough to catch a verification running). */
    private Map<String, Object> deployCycle(String target, String version, String verifyDelay, Map<String, Object> extra) {
        Map<String, Object> verify = verification(verifyDelay);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", "deploy " + version + " to " + target);
        spec.put("target", target);
        spec.put("maxAutoRisk", "high");
        spec.put("steps", List.of(
                Map.of("key", "deploy", "kind", "deployment", "params", Map.of("adapter", "demo", "version", version),
                        "retry", Map.of("maxAttempts", 1), "timeout", "PT2M"),
                Map.of("key", "verify", "kind", "deployment-verification", "dependsOn", List.of("deploy"), "params", verify,
                        "retry", Map.of("maxAttempts", 1), "timeout", "PT1M")));
        spec.put("rollback", Map.of("triggers", List.of("deploy", "verify"), "steps", List.of(
                Map.of("key", "rollback", "kind", "rollback", "params", Map.of("of", "deploy"), "timeout", "PT2M"),
                Map.of("key", "verify-rollback", "kind", "deployment-verification", "dependsOn", List.of("rollback"),
                        "params", verification("PT1S"), "retry", Map.of("maxAttempts", 1), "timeout", "PT1M"))));
        spec.putAll(extra);
        return spec;
    }

    /** The error rate from the target's own stats, measured {@code delay} after the step starts, 3 times a second apart. */
    private Map<String, Object> verification(String delay) {
        return Map.of("analysis", List.of(Map.of("name", "error_rate",
                "provider", Map.of("http", Map.of("url", this.target.statsUrl(), "pointer", "/errorRate")),
                "initialDelay", delay, "interval", "PT1S", "count", 3,
                "successCondition", Map.of("op", "<=", "threshold", 0.05))));
    }

    private void awaitTargetEvent(String event, String version, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(100)).until(() -> target.fencedEvents().stream()
                .anyMatch(e -> e.event().equals(event) && e.version().equals(version)));
    }

    private static void awaitRunning(UUID cycle, String step, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(100)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and step_key = ? and status = 'RUNNING'", cycle, step) == 1);
    }

    private static String workerOf(UUID cycle, String step) {
        return io.cyclefleet.support.Cycles.get(cycle).getString("tasks.find { it.key == '" + step + "' }.workerId");
    }

    private static void awaitAttempt(UUID cycle, String step, int attempt, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(200)).until(() ->
                Db.count("select count(*) from task where cycle_id = ? and step_key = ? and attempt >= ?", cycle, step, attempt) == 1);
    }

    /**
     * The step succeeded after losing a lease without spending an attempt on the faults: its budget ({@code maxAttempts}
     * in the spec) grew with every attempt a fault or a deferral took, so what is left is all but the one that succeeded.
     */
    private static void assertNoAttemptSpentOnFaults(UUID cycle, String step, int maxAttempts) {
        assertEquals(1, Db.count("""
                select count(*) from task where cycle_id = ? and step_key = ? and status = 'SUCCEEDED'
                  and lease_losses >= 1 and max_attempts - attempt = ? - 1""", cycle, step, maxAttempts),
                step + " succeeded after its lease losses without spending an attempt");
    }

    /** The regression was rolled back for real: the cycle says so, the target runs v1, nobody was paged, nothing overlapped. */
    private JsonPath assertRolledBackToV1(UUID cycle) throws Exception {
        JsonPath c = awaitEnd(cycle, Duration.ofSeconds(150));
        assertEquals("ROLLED_BACK", c.getString("status"), c.prettify());
        assertEquals("v1", target.version(), "the target runs the version from before the cycle");
        assertNoCriticalIncident(cycle);
        assertChangesNeverOverlapped();
        return c;
    }

    /** Freezes the worker until the reconciler has redelivered {@code step} (its lease expired), then resumes it. */
    private static void freezeUntilRedelivered(WorkerProcess w, UUID cycle, String step, Runnable alsoWaitFor) throws Exception {
        w.pause();
        try {
            awaitAttempt(cycle, step, 2, Duration.ofSeconds(20));
            alsoWaitFor.run();
        } finally {
            w.resume();
        }
    }

    private static void assertNoCriticalIncident(UUID cycle) {
        assertEquals(0, Db.count("select count(*) from incident where latest_cycle_id = ? and severity = 'critical'", cycle));
    }

    /** No two changes to the target overlapped: each one ended (done, refused, killed) before the next started. */
    private void assertChangesNeverOverlapped() throws Exception {
        List<DeployEvent> events = target.fencedEvents();
        java.util.Set<Long> running = new java.util.HashSet<>();
        for (DeployEvent e : events) {
            if (e.event().equals("start")) {
                assertTrue(running.isEmpty(), "a change started while another ran on the target: " + events);
                running.add(e.pid());
            } else {
                running.remove(e.pid());
            }
        }
    }

    @Test
    void aWorkerFrozenPastItsLeaseDuringADeployOfARegressionRollsBack() throws Exception {
        WorkerProcess w = worker("frozen-deployer");
        UUID id = submit(deployCycle("svc-frozen", "v2", Map.of()));
        awaitTargetEvent("start", "v2", Duration.ofSeconds(30));
        // the frozen worker's deploy command, its child, finishes on the target meanwhile
        freezeUntilRedelivered(w, id, "deploy", () -> awaitTargetEvent("done", "v2", Duration.ofSeconds(20)));
        JsonPath c = assertRolledBackToV1(id);
        assertNoAttemptSpentOnFaults(id, "deploy", 1);
        assertTrue(c.getString("tasks.find { it.key == 'deploy' }.result.details.note").contains("took effect before its fault"),
                c.prettify());
        assertEquals("v1", c.getString("deployments[0].previousVersion"));
    }

    @Test
    void aKilledDeployerIsTakenOverOnlyOnceItsOrphanedDeployCanNoLongerActAndTheRegressionIsRolledBack() throws Exception {
        WorkerProcess first = worker("killed-deployer");
        UUID id = submit(deployCycle("svc-killed", "v2", Map.of()));
        awaitTargetEvent("start", "v2", Duration.ofSeconds(30));
        first.kill9(); // its deploy command, orphaned, goes on
        WorkerProcess second = worker("heir");
        JsonPath c = assertRolledBackToV1(id);
        assertNoAttemptSpentOnFaults(id, "deploy", 1);
        assertEquals(second.id(), c.getString("tasks.find { it.key == 'deploy' }.workerId"));
        assertTrue(Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'deployment.waiting'", id) >= 1,
                "the heir waited for the orphaned deploy before acting");
    }

    @Test
    void postgresDownFor45sMidDeployStillEndsRolledBackWithoutSpendingAnAttempt() throws Exception {
        worker("pg-deployer");
        UUID id = submit(deployCycle("svc-pg", "v2", Map.of()));
        awaitTargetEvent("start", "v2", Duration.ofSeconds(30));
        Postgres.downFor(Duration.ofSeconds(45));
        JsonPath c = assertRolledBackToV1(id);
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'deploy' }.status"));
        assertEquals(1, Db.count("select count(*) from task where cycle_id = ? and step_key = 'deploy' and max_attempts = attempt", id),
                "no attempt spent on the outage");
    }

    @Test
    void aGoodVersionDeployedThroughAFrozenWorkerSucceeds() throws Exception {
        WorkerProcess w = worker("frozen-good");
        UUID id = submit(deployCycle("svc-good", "v1.1", Map.of()));
        awaitTargetEvent("start", "v1.1", Duration.ofSeconds(30));
        freezeUntilRedelivered(w, id, "deploy", () -> { });
        JsonPath c = awaitEnd(id, Duration.ofSeconds(120));
        assertEquals("SUCCEEDED", c.getString("status"), c.prettify());
        assertEquals("v1.1", target.version());
        assertNoAttemptSpentOnFaults(id, "deploy", 1);
        assertEquals("SKIPPED", c.getString("tasks.find { it.key == 'rollback' }.status"));
        assertChangesNeverOverlapped();
    }

    @Test
    void aVerifierKilledMidVerificationIsRedeliveredAndTheRegressionIsStillRolledBack() throws Exception {
        worker("verifier-a");
        worker("verifier-b");
        UUID id = submit(deployCycle("svc-verify-killed", "v2", "PT4S", Map.of()));
        awaitRunning(id, "verify", Duration.ofSeconds(60));
        workers.byId(workerOf(id, "verify")).kill9();
        JsonPath c = assertRolledBackToV1(id);
        assertEquals("FAILED", c.getString("tasks.find { it.key == 'verify' }.status"));
        assertEquals(1, Db.count("select count(*) from task where cycle_id = ? and step_key = 'verify' and lease_losses = 1", id),
                "the verification was redelivered after its worker died, and its own verdict decided");
        assertTrue(c.getString("tasks.find { it.key == 'verify' }.error").startsWith("verification failed"), c.prettify());
    }

    @Test
    void aRollbackWhoseWorkerFreezesIsFinishedByAnotherWithoutTwoChangesAtOnce() throws Exception {
        worker("rollbacker-a");
        worker("rollbacker-b");
        UUID id = submit(deployCycle("svc-rollback-frozen", "v2", Map.of()));
        awaitTargetEvent("start", "v1", Duration.ofSeconds(90)); // the rollback's change started
        freezeUntilRedelivered(workers.byId(workerOf(id, "rollback")), id, "rollback",
                () -> awaitTargetEvent("done", "v1", Duration.ofSeconds(20)));
        assertRolledBackToV1(id);
        assertNoAttemptSpentOnFaults(id, "rollback", 3);
    }

    @Test
    void postgresDownFor45sMidRollbackStillRestoresThePreviousVersion() throws Exception {
        worker("pg-rollbacker");
        UUID id = submit(deployCycle("svc-pg-rollback", "v2", Map.of()));
        awaitTargetEvent("start", "v1", Duration.ofSeconds(90)); // the rollback's change started
        Postgres.downFor(Duration.ofSeconds(45));
        JsonPath c = assertRolledBackToV1(id);
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'rollback' }.status"), c.prettify());
        assertNoAttemptSpentOnFaults(id, "rollback", 3);
    }

    @Test
    void aRollbackWhoseWorkerIsKilledIsFinishedByAnotherOnceTheOrphanedChangeCanNoLongerAct() throws Exception {
        worker("rollback-killed-a");
        worker("rollback-killed-b");
        UUID id = submit(deployCycle("svc-rollback-killed", "v2", Map.of()));
        awaitTargetEvent("start", "v1", Duration.ofSeconds(90));
        workers.byId(workerOf(id, "rollback")).kill9();
        assertRolledBackToV1(id);
        assertNoAttemptSpentOnFaults(id, "rollback", 3);
    }

    @Test
    void aDrainInterruptsTheDeployBeforeHandingItBackAndTheNextAttemptStartsAfterIt() throws Exception {
        WorkerProcess first = workers.start(WorkerProcess.builder("draining-deployer").with(target.adapter("demo", ADAPTER_TIMEOUT))
                .with("cyclefleet.worker.lease", LEASE.toSeconds() + "s").with("cyclefleet.worker.heartbeat", "1s")
                .with("cyclefleet.worker.drain-timeout", "1s"));
        UUID id = submit(deployCycle("svc-drain", "v2", Map.of()));
        awaitTargetEvent("start", "v2", Duration.ofSeconds(30));
        worker("after-drain");
        first.terminate(Duration.ofSeconds(20));
        assertRolledBackToV1(id);
        List<DeployEvent> v2 = target.fencedEvents().stream().filter(e -> e.version().equals("v2")).toList();
        long firstPid = v2.get(0).pid();
        DeployEvent killed = v2.stream().filter(e -> e.event().equals("killed") && e.pid() == firstPid).findFirst()
                .orElseThrow(() -> new AssertionError("the drain did not stop the first deploy with its processes: " + v2));
        DeployEvent next = v2.stream().filter(e -> e.event().equals("start") && e.pid() != firstPid).findFirst().orElseThrow();
        assertTrue(next.atMs() >= killed.atMs(), "the next attempt started only after the first was stopped: " + v2);
        assertEquals(0, Db.count("select count(*) from task where cycle_id = ? and step_key = 'deploy' and lease_losses > 0", id),
                "a drain is not a lease loss");
        assertEquals(1, Db.count("select count(*) from task where cycle_id = ? and step_key = 'deploy' and attempt = 2 and max_attempts = 2", id),
                "the drain spent no attempt");
    }

    @Test
    void twoCyclesForOneTargetNeverChangeItAtOnceAndBothEndCorrectly() throws Exception {
        worker("pair-a");
        worker("pair-b");
        UUID regression = submit(deployCycle("svc-pair", "v2", Map.of()));
        // named differently, but deploying through the same adapter: it waits all the same
        UUID good = submit(deployCycle("svc-pair-renamed", "v1.1", Map.of()));
        assertEquals("WAITING_FOR_TARGET", io.cyclefleet.support.Cycles.get(good).getString("status"));
        assertEquals(regression.toString(), io.cyclefleet.support.Cycles.get(good).getString("waitingForCycle"));
        assertEquals("ROLLED_BACK", awaitEnd(regression, Duration.ofSeconds(120)).getString("status"));
        JsonPath c = awaitEnd(good, Duration.ofSeconds(120));
        assertEquals("SUCCEEDED", c.getString("status"), c.prettify());
        assertEquals("v1.1", target.version());
        assertEquals("v1", c.getString("deployments[0].previousVersion"), "the second cycle deployed over the rolled-back target");
        assertChangesNeverOverlapped();
        List<DeployEvent> events = target.fencedEvents();
        assertEquals(List.of("v2", "v1", "v1.1"), events.stream().filter(e -> e.event().equals("start")).map(DeployEvent::version).toList(),
                "deploy of the regression, its rollback, then the second cycle's deploy: " + events);
        // a cycle that asks to be refused while the target is busy is refused, and nothing of it is written
        worker("pair-c");
        UUID busy = submit(deployCycle("svc-pair", "v3", "PT8S", Map.of()));
        awaitRunning(busy, "verify", Duration.ofSeconds(60));
        long cycles = Db.count("select count(*) from cycle");
        io.restassured.RestAssured.given().contentType(io.restassured.http.ContentType.JSON)
                .body(deployCycle("svc-pair", "v4", Map.of("onTargetBusy", "reject"))).post("/api/v1/cycles")
                .then().statusCode(409).body("message", org.hamcrest.Matchers.containsString(busy.toString()));
        assertEquals(cycles, Db.count("select count(*) from cycle"));
    }

    @Test
    void aDeadlinePassingDuringVerificationAfterADeployRollsBackAndTheRollbackCompletes() throws Exception {
        worker("deadline-a");
        UUID id = submit(deployCycle("svc-deadline", "v2", "PT20S", Map.of("deadline", "PT13S")));
        JsonPath c = assertRolledBackToV1(id);
        assertEquals("deadline", c.getString("rollback.startedBy"));
        assertEquals("CANCELLED", c.getString("tasks.find { it.key == 'verify' }.status"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'verify-rollback' }.status"));
        assertEquals(1, Db.count("select count(*) from incident where latest_cycle_id = ? and cause = 'deadline-exceeded'", id));
    }

    @Test
    void anOperatorsCancelAfterADeployRollsBackUnlessAskedNotTo() throws Exception {
        worker("cancel-a");
        UUID id = submit(deployCycle("svc-cancel", "v2", "PT30S", Map.of()));
        awaitRunning(id, "verify", Duration.ofSeconds(60));
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(202);
        JsonPath c = assertRolledBackToV1(id);
        assertEquals("operator", c.getString("rollback.startedBy"));
        assertEquals(0, Db.count("select count(*) from incident where latest_cycle_id = ?", id), "the operator asked: nobody is paged");

        UUID kept = submit(deployCycle("svc-cancel", "v1.1", "PT30S", Map.of()));
        awaitRunning(kept, "verify", Duration.ofSeconds(60));
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + kept + "/cancel?rollback=false").then().statusCode(200);
        assertEquals("CANCELLED", io.cyclefleet.support.Cycles.get(kept).getString("status"));
        assertEquals("v1.1", target.version(), "the operator said not to roll back");
        assertEquals(1, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'cycle.rollback_not_run'", kept));
    }

    @Test
    void aStepFailingAfterTheDeployThatIsNotATriggerStillRollsBackAndWithoutABranchPagesOnCall() throws Exception {
        worker("after-deploy");
        Map<String, Object> spec = new LinkedHashMap<>(deployCycle("svc-after", "v1.1", Map.of()));
        List<Object> steps = new ArrayList<>((List<?>) spec.get("steps"));
        steps.add(Map.of("key", "smoke", "kind", "fail", "dependsOn", List.of("verify"), "params", Map.of("times", 9),
                "retry", Map.of("maxAttempts", 1)));
        spec.put("steps", steps);
        UUID id = submit(spec);
        JsonPath c = assertRolledBackToV1(id); // a deployed cycle that fails for any reason rolls back
        assertEquals("failure", c.getString("rollback.startedBy"));
        assertTrue(c.getString("rollback.cause").startsWith("fail step smoke failed"), c.getString("rollback.cause"));

        spec.remove("rollback");
        UUID bare = submit(spec);
        JsonPath b = awaitEnd(bare, Duration.ofSeconds(120));
        assertEquals("FAILED", b.getString("status"));
        assertEquals("v1.1", target.version(), "no rollback branch: the deployment stays");
        assertEquals(1, Db.count("select count(*) from incident where latest_cycle_id = ? and cause = 'deployment-not-rolled-back' "
                + "and severity = 'critical'", bare), "a deployed cycle that cannot roll back pages on-call");
    }
}
