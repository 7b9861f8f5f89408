package io.cyclefleet.cycle;

import static io.cyclefleet.task.TaskStatus.CANCELLED;
import static io.cyclefleet.task.TaskStatus.FAILED;
import static io.cyclefleet.task.TaskStatus.PENDING;
import static io.cyclefleet.task.TaskStatus.QUEUED;
import static io.cyclefleet.task.TaskStatus.RUNNING;
import static io.cyclefleet.task.TaskStatus.SKIPPED;
import static io.cyclefleet.task.TaskStatus.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.TaskStatus;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The advancer's decisions, on snapshots built by hand: no database, no fleet. */
class AdvanceRulesTest {

    private static final AdvanceRules.GateJudge PASS = gate -> verdict(true);
    private static final AdvanceRules.GateJudge FAIL = gate -> verdict(false);
    private static final AdvanceRules.GateJudge NEVER = gate -> {
        throw new AssertionError("gate " + gate.key() + " judged before its upstream succeeded");
    };

    private final List<CycleSnapshot.Step> steps = new ArrayList<>();

    @Test
    void aStepIsQueuedOnceEveryUpstreamStepSucceededAndNotBefore() throws SQLException {
        step(1, "a", SUCCEEDED);
        step(2, "b", RUNNING);
        step(3, "join", PENDING, 1, 2);
        step(4, "after-a", PENDING, 1);
        AdvanceRules.Decision d = decide(running(), NEVER);
        assertEquals(List.of(4L), d.queued());
        assertEquals(Map.of(), d.skipped());
        assertEquals(Optional.empty(), d.ending(), "step b still runs");
    }

    @Test
    void stepsBelowAFailureAreSkippedTransitivelyNamingTheStepAbove() throws SQLException {
        step(1, "a", FAILED);
        step(2, "b", PENDING, 1);
        step(3, "c", PENDING, 2);
        step(4, "d", CANCELLED);
        step(5, "e", PENDING, 4);
        AdvanceRules.Decision d = decide(running(), NEVER);
        assertEquals(Map.of(2L, "upstream step a ended FAILED", 3L, "upstream step b ended SKIPPED",
                5L, "upstream step d ended CANCELLED"), d.skipped());
        assertEquals(List.of(), d.queued());
        AdvanceRules.Ending end = d.ending().orElseThrow();
        assertEquals(1, end.failedMainSteps());
        assertEquals("a", end.failedSteps());
    }

    @Test
    void aFailedTriggerStartsTheRollbackWithTheEarliestTriggerFailure() throws SQLException {
        steps.add(new CycleSnapshot.Step(1, "deploy", "deployment", FAILED, true, false, false, true,
                "deployment step deploy failed: boom", Instant.parse("2026-01-01T00:00:02Z"), List.of()));
        steps.add(new CycleSnapshot.Step(2, "verify", "deployment-verification", FAILED, true, false, false, true,
                "deployment-verification step verify failed: red", Instant.parse("2026-01-01T00:00:01Z"), List.of()));
        rollbackStep(3, "rollback", PENDING);
        AdvanceRules.Decision d = decide(running(), NEVER);
        AdvanceRules.RollbackStart start = d.rollback().orElseThrow();
        assertEquals(CycleStore.RollbackStart.TRIGGER, start.by());
        assertEquals("deployment-verification step verify failed: red", start.cause());
        assertEquals(List.of(), d.queued(), "the branch is queued once the rollback has started, on a fresh snapshot");
        assertEquals(Optional.empty(), d.ending());
    }

    @Test
    void anotherFailureRollsBackOnlyAfterADeploymentStartedAndWhenThereIsABranch() throws SQLException {
        step(1, "report", FAILED);
        rollbackStep(2, "rollback", PENDING);
        AdvanceRules.Decision deployed = AdvanceRules.decide(snapshot(CycleStatus.RUNNING, false, true), NEVER, true);
        assertEquals(CycleStore.RollbackStart.FAILURE, deployed.rollback().orElseThrow().by());
        assertTrue(deployed.rollback().get().cause().endsWith("(after a deployment started)"));

        AdvanceRules.Decision notDeployed = AdvanceRules.decide(snapshot(CycleStatus.RUNNING, false, false), NEVER, true);
        assertEquals(Optional.empty(), notDeployed.rollback());
        assertEquals(1, notDeployed.ending().orElseThrow().failedMainSteps(), "no deployment: the cycle just fails");

        steps.remove(1);
        AdvanceRules.Decision noBranch = AdvanceRules.decide(snapshot(CycleStatus.RUNNING, false, true), NEVER, true);
        assertEquals(Optional.empty(), noBranch.rollback());
        assertTrue(noBranch.ending().isPresent());
    }

    @Test
    void theRollbackBranchIsQueuedOnlyWhileRollingBackAndItsFailureEndsTheRollback() throws SQLException {
        step(1, "deploy", SUCCEEDED);
        rollbackStep(2, "rollback", PENDING);
        rollbackStep(3, "verify-rollback", PENDING, 2);
        AdvanceRules.Decision idle = decide(running(), NEVER);
        assertEquals(List.of(), idle.queued());
        assertEquals(new AdvanceRules.Ending(0, null, "rollback PENDING, verify-rollback PENDING"), idle.ending().orElseThrow());

        AdvanceRules.Decision rolling = AdvanceRules.decide(snapshot(CycleStatus.RUNNING, true, true), NEVER, true);
        assertEquals(List.of(2L), rolling.queued());
        assertEquals(Optional.empty(), rolling.ending());

        steps.set(1, rollbackStepOf(2, "rollback", FAILED));
        AdvanceRules.Decision failed = AdvanceRules.decide(snapshot(CycleStatus.RUNNING, true, true), NEVER, true);
        assertEquals(Map.of(3L, "upstream step rollback ended FAILED"), failed.skipped());
        assertEquals("rollback FAILED, verify-rollback SKIPPED", failed.ending().orElseThrow().rollbackFailures());
    }

    @Test
    void aPassingGateLetsItsDownstreamStepsQueueInTheSameDecision() throws SQLException {
        step(1, "assess", SUCCEEDED);
        gate(2, "ready", false, 1);
        step(3, "deploy", PENDING, 2);
        AdvanceRules.Decision d = decide(running(), PASS);
        assertEquals(1, d.gates().size());
        assertTrue(d.gates().get(0).evaluation().passed());
        assertEquals(List.of(3L), d.queued());
    }

    @Test
    void aFailingGateSkipsWhatFollowsOrStartsTheRollbackWhenItIsATrigger() throws SQLException {
        step(1, "assess", SUCCEEDED);
        gate(2, "ready", false, 1);
        step(3, "deploy", PENDING, 2);
        AdvanceRules.Decision plain = decide(running(), FAIL);
        assertEquals(Map.of(3L, "upstream step ready ended FAILED"), plain.skipped());
        assertEquals("ready", plain.ending().orElseThrow().failedSteps());

        steps.clear();
        step(1, "verify", SUCCEEDED);
        gate(2, "healthy", true, 1);
        rollbackStep(3, "rollback", PENDING);
        AdvanceRules.Decision trigger = decide(running(), FAIL);
        AdvanceRules.RollbackStart start = trigger.rollback().orElseThrow();
        assertEquals(CycleStore.RollbackStart.TRIGGER, start.by());
        assertTrue(start.cause().startsWith("gate step healthy failed: "), start.cause());
        assertEquals(1, trigger.gates().size(), "the verdict that starts the rollback is recorded with it");
    }

    @Test
    void aStepAwaitingApprovalHoldsTheCycleUntilApproved() throws SQLException {
        step(1, "test", SUCCEEDED);
        steps.add(new CycleSnapshot.Step(2, "deploy", "deployment", PENDING, true, true, false, false, null, null, List.of(1L)));
        AdvanceRules.Decision waiting = decide(running(), NEVER);
        assertEquals(List.of(), waiting.queued());
        assertEquals(Optional.of(CycleStatus.AWAITING_APPROVAL), waiting.approval());
        assertEquals(Optional.empty(), waiting.ending());

        steps.set(1, new CycleSnapshot.Step(2, "deploy", "deployment", PENDING, true, true, true, false, null, null, List.of(1L)));
        AdvanceRules.Decision approved = AdvanceRules.decide(snapshot(CycleStatus.AWAITING_APPROVAL, false, false), NEVER, true);
        assertEquals(List.of(2L), approved.queued());
        assertEquals(Optional.of(CycleStatus.RUNNING), approved.approval());
    }

    @Test
    void stepsAlreadyUnderWayAreLeftAloneAndTheCycleEndsOnlyWhenAllAreDone() throws SQLException {
        step(1, "a", QUEUED);
        step(2, "b", RUNNING);
        step(3, "c", TaskStatus.RETRY_WAIT);
        AdvanceRules.Decision d = decide(running(), NEVER);
        assertEquals(List.of(), d.queued());
        assertEquals(Map.of(), d.skipped());
        assertEquals(Optional.empty(), d.ending());

        steps.clear();
        step(1, "a", SUCCEEDED);
        step(2, "b", SKIPPED);
        assertEquals(new AdvanceRules.Ending(0, null, null), decide(running(), NEVER).ending().orElseThrow());
        assertFalse(AdvanceRules.decide(running(), NEVER, false).ending().isPresent(),
                "an advance that queued steps before its rollback started does not end the cycle");
    }

    // ---- building snapshots ------------------------------------------------------------------------

    private AdvanceRules.Decision decide(CycleSnapshot cycle, AdvanceRules.GateJudge judge) throws SQLException {
        return AdvanceRules.decide(cycle, judge, true);
    }

    private CycleSnapshot running() {
        return snapshot(CycleStatus.RUNNING, false, false);
    }

    private CycleSnapshot snapshot(CycleStatus status, boolean rollingBack, boolean deployed) {
        return new CycleSnapshot(UUID.randomUUID(), status, rollingBack, CycleStore.RollbackStart.TRIGGER, false, deployed,
                List.copyOf(steps));
    }

    private void step(long id, String key, TaskStatus status, long... upstream) {
        steps.add(new CycleSnapshot.Step(id, key, "noop", status, true, false, false, false,
                status == FAILED ? "noop step " + key + " failed: FAILED" : null, status.isTerminal() ? Instant.EPOCH : null,
                Arrays.stream(upstream).boxed().toList()));
    }

    private void gate(long id, String key, boolean trigger, long... upstream) {
        steps.add(new CycleSnapshot.Step(id, key, "gate", PENDING, true, false, false, trigger, null, null,
                Arrays.stream(upstream).boxed().toList()));
    }

    private void rollbackStep(long id, String key, TaskStatus status, long... upstream) {
        steps.add(rollbackStepOf(id, key, status, upstream));
    }

    private static CycleSnapshot.Step rollbackStepOf(long id, String key, TaskStatus status, long... upstream) {
        return new CycleSnapshot.Step(id, key, "noop", status, false, false, false, false,
                status == FAILED ? "noop step " + key + " failed: FAILED" : null, status.isTerminal() ? Instant.EPOCH : null,
                Arrays.stream(upstream).boxed().toList());
    }

    private static GateEvaluator.Evaluation verdict(boolean passed) {
        return new GateEvaluator.Evaluation(passed, List.of(new GateEvaluator.ConditionResult("averageScore", 5.0, ">=", 8,
                passed ? "pass" : "fail")));
    }
}
