package io.cyclefleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.run.StepResults;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import jakarta.enterprise.inject.Instance;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Deployments' protocol around an adapter, with the intents in memory: wait while another attempt may act, observe,
 * record the intent, converge; a rollback restores what the deploy's first intent recorded.
 */
class DeploymentsTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(1);
    private static final Duration POLL = Duration.ofMillis(1);

    private final UUID cycle = UUID.randomUUID();
    /** Everything the fakes were asked, in order. */
    private final List<String> calls = new ArrayList<>();
    private final FakeIntents intents = new FakeIntents();
    private final FakeAdapter target = new FakeAdapter();
    private final FakeSteps steps = new FakeSteps();
    private final Deployments deployments = new Deployments(adapters(), intents, steps, POLL);

    private TaskContext deployAttempt(int attempt) {
        return new TaskContext(7, cycle, "deploy", attempt, null, Instant.now().plusSeconds(600), "worker-a");
    }

    private TaskContext rollbackAttempt() {
        return new TaskContext(8, cycle, "rollback", 1, null, Instant.now().plusSeconds(600), "worker-a");
    }

    /** An intent the deploy step recorded earlier, as Postgres returns it. */
    private DeploymentIntents.Recorded deployIntent(long id, int attempt, String previous, String observed, String to) {
        return new DeploymentIntents.Recorded(id, 7, attempt, "deploy", Intent.Action.DEPLOY, "demo", "worker-a", previous, observed,
                Map.of("image", "registry.example/web:" + observed), to);
    }

    @Test
    void aDeployRecordsItsIntentWithWhatRunsBeforeItConverges() throws Exception {
        target.running = Observed.version("v1");

        Deployed d = deployments.deploy(deployAttempt(1), "demo", "v2");

        assertEquals(List.of("ofStep deploy", "acting demo 7/1", "observe", "record deploy v1 -> v2 (seen v1)", "converge deploy v2 token 41"),
                calls, "recorded before anything changed");
        Intent intent = target.converged.get(0);
        assertEquals(41, intent.fencingToken());
        assertEquals("v1", intent.previousVersion());
        assertEquals(Observed.version("v1"), intent.observed());
        assertEquals(Map.of(), intent.restore());
        assertTrue(!intent.remaining().isNegative() && intent.remaining().compareTo(TIMEOUT) <= 0, intent.remaining().toString());
        assertEquals(TIMEOUT.plus(Deployments.ACTING_MARGIN), intents.actFor, "Postgres lets it act for its timeout and a margin");
        assertEquals(new Deployed("demo", "v2", "v1", Map.of("fake", true)), d);
    }

    @Test
    void anotherAttemptActingLongerThanTheStepShouldWaitDefersTheStepUntilItCannotActAnyMore() {
        target.running = Observed.version("v1");
        intents.actingPolls = Integer.MAX_VALUE; // another attempt may act for 30 s more
        TaskContext shortOnTime = new TaskContext(7, cycle, "deploy", 2, null, Instant.now().plusMillis(200), "worker-a");

        io.cyclefleet.run.TaskDeferred d = assertThrows(io.cyclefleet.run.TaskDeferred.class,
                () -> deployments.deploy(shortOnTime, "demo", "v2"));

        assertEquals(Duration.ofSeconds(30).plus(POLL), d.delay(), "until the other attempt's act_until, not its own timeout");
        assertTrue(d.getMessage().startsWith("waiting for deploy attempt 1 of step 'deploy' (task 7, worker worker-b)"), d.getMessage());
        assertEquals(List.of(), target.converged);
        assertFalse(calls.contains("observe"), "it did not look at the target while another attempt may act: " + calls);
    }

    @Test
    void anAttemptThatStartedActingBetweenTheLookAndTheRecordIsWaitedForAndTheTargetLookedAtAgain() throws Exception {
        target.running = Observed.version("v1");
        intents.busyRecords = 1;

        deployments.deploy(deployAttempt(1), "demo", "v2");

        assertEquals(List.of("ofStep deploy", "acting demo 7/1", "observe", "busy", "acting demo 7/1", "observe",
                "record deploy v1 -> v2 (seen v1)", "converge deploy v2 token 41"), calls);
    }

    @Test
    void aVersionTheAdapterRefusesIsRefusedBeforeAnything() {
        TaskFailure f = assertThrows(TaskFailure.class, () -> deployments.deploy(deployAttempt(1), "demo", "v2 --force"));
        assertFalse(f.retryable());
        assertEquals(List.of(), calls);
    }

    @Test
    void anAttemptThatNoLongerHoldsItsTaskDoesNotAct() {
        target.running = Observed.version("v1");
        intents.refuse = new TaskFailure("attempt 1 no longer holds task 7", true);

        TaskFailure f = assertThrows(TaskFailure.class, () -> deployments.deploy(deployAttempt(1), "demo", "v2"));

        assertSame(intents.refuse, f);
        assertEquals(List.of(), target.converged, "nothing changed without a recorded intent");
    }

    @Test
    void aRedeliveredDeployFindingItsVersionRunningSucceedsWithoutActing() throws Exception {
        intents.recorded.add(deployIntent(40, 1, "v1", "v1", "v2"));
        target.running = new Observed("v2", true, Map.of("image", "registry.example/web:v2"));

        Deployed d = deployments.deploy(deployAttempt(2), "demo", "v2");

        assertEquals(List.of("ofStep deploy", "acting demo 7/2", "observe"), calls, "no record, no converge");
        assertEquals("v2", d.version());
        assertEquals("v1", d.previousVersion(), "what ran before the first attempt acted, for the rollback");
        assertEquals(true, d.details().get("converged"));
        assertEquals("registry.example/web:v2", d.details().get("image"));
        assertEquals("the target runs v2: attempt 1 took effect before its fault", d.details().get("note"));
    }

    @Test
    void aDeployFindingItsVersionRunningWithoutAnEarlierAttemptChangedNothing() throws Exception {
        target.running = Observed.version("v2");

        Deployed d = deployments.deploy(deployAttempt(1), "demo", "v2");

        assertEquals(List.of("ofStep deploy", "acting demo 7/1", "observe"), calls);
        assertEquals("v2", d.previousVersion(), "nothing to undo: it ran before too");
        assertEquals("the target already runs v2: nothing changed", d.details().get("note"));
    }

    @Test
    void aRedeliveredDeployFindingSomethingElseRecordsWhatRanBeforeTheFirstAttempt() throws Exception {
        intents.recorded.add(new DeploymentIntents.Recorded(39, 6, 1, "deploy", Intent.Action.DEPLOY, "demo", "worker-c", "v0", "v0", Map.of(),
                "v2")); // another task's: not an earlier attempt of this one
        intents.recorded.add(deployIntent(40, 1, "v1", "v1", "v2"));
        intents.recorded.add(deployIntent(41, 2, "v1", "v1-half", "v2"));
        target.running = Observed.version("v1-half"); // what the interrupted attempts left

        Deployed d = deployments.deploy(deployAttempt(3), "demo", "v2");

        assertEquals(List.of("ofStep deploy", "acting demo 7/3", "observe", "record deploy v1 -> v2 (seen v1-half)", "converge deploy v2 token 42"),
                calls);
        assertEquals("v1", target.converged.get(0).previousVersion(), "the first intent's, not what runs now");
        assertEquals(Observed.version("v1-half"), target.converged.get(0).observed(), "what it replaces now");
        assertEquals("v1", d.previousVersion());
    }

    @Test
    void aDeployThatCouldNotReadTheVersionLearnsItFromTheTarget() throws Exception {
        target.running = Observed.unknown();
        target.replaced = "v0";

        Deployed d = deployments.deploy(deployAttempt(1), "demo", "v2");

        assertEquals(List.of("ofStep deploy", "acting demo 7/1", "observe", "record deploy null -> v2 (seen null)", "converge deploy v2 token 41",
                "learnPrevious 41 v0"), calls);
        assertEquals("v0", d.previousVersion());
    }

    @Test
    void aDeployWaitsWhileAnotherAttemptMayActAndProceedsOnceNoneMay() throws Exception {
        target.running = Observed.version("v1");
        intents.actingPolls = 3;

        deployments.deploy(deployAttempt(2), "demo", "v2");

        assertEquals(List.of("ofStep deploy", "acting demo 7/2", "note deployment.waiting: waiting for deploy attempt 1 of step 'deploy' "
                        + "(task 7, worker worker-b) to stop acting on adapter 'demo' (at most 30 s) before acting", "acting demo 7/2",
                "acting demo 7/2", "acting demo 7/2", "observe", "record deploy v1 -> v2 (seen v1)", "converge deploy v2 token 41"),
                calls, "noted once, observed only once no other attempt may act");
    }

    @Test
    void aRollbackWaitsWhileAnotherAttemptMayActAndProceedsOnceNoneMay() throws Exception {
        intents.recorded.add(deployIntent(40, 1, "v1", "v1", "v2"));
        target.running = Observed.version("v2");
        intents.actingPolls = 2;

        deployments.rollback(rollbackAttempt(), "deploy");

        assertEquals(List.of("ofStep deploy", "acting demo 8/1", "note deployment.waiting: waiting for deploy attempt 1 of step 'deploy'"
                        + " (task 7, worker worker-b) to stop acting on adapter 'demo' (at most 30 s) before acting", "acting demo 8/1",
                "acting demo 8/1", "observe", "record rollback v2 -> v1 (seen v2)", "converge rollback v1 token 41"), calls);
    }

    @Test
    void aRollbackConvergesToTheFirstIntentsPreviousVersionRestoringWhatTheDeployObserved() throws Exception {
        intents.recorded.add(deployIntent(40, 1, "v1", "v1", "v2"));
        intents.recorded.add(deployIntent(41, 2, "v1.5", "v1.5", "v2"));
        target.running = Observed.version("v2");

        Deployments.Rollback r = deployments.rollback(rollbackAttempt(), "deploy");

        assertNull(r.nothingToUndo());
        assertEquals(new Deployed("demo", "v1", "v2", Map.of("fake", true)), r.deployed());
        assertEquals(List.of("ofStep deploy", "acting demo 8/1", "observe", "record rollback v2 -> v1 (seen v2)", "converge rollback v1 token 42"),
                calls);
        Intent intent = target.converged.get(0);
        assertEquals(Intent.Action.ROLLBACK, intent.action());
        assertEquals("v1", intent.toVersion());
        assertEquals("v2", intent.previousVersion(), "what the rollback replaces");
        assertEquals(Observed.version("v2"), intent.observed());
        assertEquals(Map.of("image", "registry.example/web:v1"), intent.restore(), "the first deploy intent's observed state");
    }

    @Test
    void aRollbackFindingTheTargetBackAlreadySucceedsWithoutChangingItButFencesIt() throws Exception {
        intents.recorded.add(deployIntent(40, 1, "v1", "v1", "v2"));
        target.running = Observed.version("v1");

        Deployments.Rollback r = deployments.rollback(rollbackAttempt(), "deploy");

        assertEquals(List.of("ofStep deploy", "acting demo 8/1", "observe", "record rollback v1 -> v1 (seen v1)", "fence 41"), calls,
                "no change, but the intent is recorded and the target marked, so a stale deploy that saw it before cannot act");
        assertNull(r.nothingToUndo());
        assertEquals("v1", r.deployed().version());
        assertEquals("v1", r.deployed().previousVersion());
        assertEquals(true, r.deployed().details().get("alreadyThere"));
    }

    @Test
    void aDeployThatRecordedNoIntentHasNothingToUndo() throws Exception {
        steps.step = Optional.of(new StepResults.Step("deploy", "deploy", "FAILED", "adapter 'demo' does not accept version 'v2 --force'"));

        Deployments.Rollback r = deployments.rollback(rollbackAttempt(), "deploy");

        assertNull(r.deployed());
        assertEquals("step 'deploy' (FAILED) never started changing the target: nothing to undo", r.nothingToUndo());
        assertEquals(List.of("ofStep deploy", "step deploy"), calls, "the target is not even looked at");
    }

    @Test
    void aRollbackOfAStepThatDoesNotExistFailsWithoutRetry() {
        TaskFailure f = assertThrows(TaskFailure.class, () -> deployments.rollback(rollbackAttempt(), "deploi"));
        assertFalse(f.retryable());
        assertEquals("rollback: this cycle has no step 'deploi' to undo", f.getMessage());
        assertEquals(List.of(), target.converged);
    }

    @Test
    void aRollbackWithNoKnownVersionToRestoreFailsWithoutRetryAndActsNot() {
        intents.recorded.add(deployIntent(40, 1, null, null, "v2"));
        target.running = Observed.version("v2");

        TaskFailure f = assertThrows(TaskFailure.class, () -> deployments.rollback(rollbackAttempt(), "deploy"));

        assertFalse(f.retryable());
        assertEquals("rollback: adapter 'demo' could not tell what ran before step 'deploy' acted (it reads no current version, or nothing"
                + " ran), so there is nothing known to restore; the target runs v2: restore it by hand", f.getMessage());
        assertEquals(List.of("ofStep deploy", "acting demo 8/1", "observe"), calls, "nothing recorded, nothing converged");
    }

    /** Adapters with one adapter, "demo", of the fake's type. */
    @SuppressWarnings("unchecked")
    private Adapters adapters() {
        AdapterConfig config = () -> Map.of("demo", AdapterSettings.of(FakeAdapter.TYPE, TIMEOUT));
        List<DeploymentAdapter> implementations = List.of(target);
        Instance<DeploymentAdapter> instance = (Instance<DeploymentAdapter>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Instance.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "forEach" -> {
                        implementations.forEach((Consumer<DeploymentAdapter>) args[0]);
                        yield null;
                    }
                    case "iterator" -> implementations.iterator();
                    default -> throw new UnsupportedOperationException("Instance." + method.getName());
                });
        return new Adapters(config, instance);
    }

    /** deployment_intent in memory, ids from 41 up; the next {@code actingPolls} polls report another attempt acting. */
    private final class FakeIntents extends DeploymentIntents {
        final List<Recorded> recorded = new ArrayList<>();
        int actingPolls;
        /** How many records find another attempt acting (it started between the look and the record). */
        int busyRecords;
        Duration actFor;
        TaskFailure refuse;

        FakeIntents() {
            super(null, null);
        }

        @Override
        public List<Recorded> ofStep(UUID cycleId, String stepKey) {
            calls.add("ofStep " + stepKey);
            assertEquals(cycle, cycleId);
            return recorded.stream().filter(r -> r.stepKey().equals(stepKey)).toList();
        }

        @Override
        public Optional<Acting> acting(String adapter, long taskId, int attempt) {
            calls.add("acting " + adapter + " " + taskId + "/" + attempt);
            return actingPolls-- > 0 ? Optional.of(new Acting(7, 1, "deploy", Intent.Action.DEPLOY, "worker-b", Duration.ofSeconds(30)))
                    : Optional.empty();
        }

        @Override
        public Recording record(TaskContext ctx, Intent.Action action, String adapter, String previousVersion, Observed observed, String toVersion,
                           Duration actFor) throws TaskFailure {
            if (refuse != null) {
                throw refuse;
            }
            if (busyRecords-- > 0) {
                calls.add("busy");
                return new Recording(0, new Acting(9, 1, "rollback", Intent.Action.ROLLBACK, "worker-c", Duration.ofSeconds(1)));
            }
            calls.add("record " + action.wireName() + " " + previousVersion + " -> " + toVersion + " (seen " + observed.version() + ")");
            this.actFor = actFor;
            long token = Math.max(41, recorded.stream().mapToLong(Recorded::id).max().orElse(0) + 1); // a sequence
            recorded.add(new Recorded(token, ctx.taskId(), ctx.attempt(), ctx.key(), action, adapter, ctx.workerId(), previousVersion,
                    observed.version(), observed.state(), toVersion));
            return new Recording(token, null);
        }

        @Override
        public void learnPrevious(long intent, String previousVersion) {
            calls.add("learnPrevious " + intent + " " + previousVersion);
        }

        @Override
        public void note(TaskContext ctx, String type, String detail) {
            calls.add("note " + type + ": " + detail);
        }
    }

    /** A target that runs {@code running}; converging makes it run the intent's version. */
    private final class FakeAdapter implements DeploymentAdapter {
        static final String TYPE = "fake";
        Observed running = Observed.unknown();
        /** What the target says it replaced (a webhook's previousVersion). */
        String replaced;
        final List<Intent> converged = new ArrayList<>();

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public Observed observe(NamedAdapter adapter, TaskContext context) {
            calls.add("observe");
            return running;
        }

        @Override
        public Deployed converge(NamedAdapter adapter, Intent intent, TaskContext context) {
            calls.add("converge " + intent.action().wireName() + " " + intent.toVersion() + " token " + intent.fencingToken());
            converged.add(intent);
            String before = running.known() ? running.version() : replaced;
            running = Observed.version(intent.toVersion());
            return new Deployed(adapter.name(), intent.toVersion(), before, Map.of("fake", true));
        }

        @Override
        public void fence(NamedAdapter adapter, Intent intent, TaskContext context) {
            calls.add("fence " + intent.fencingToken());
        }
    }

    /** The task table's steps: none unless set. */
    private final class FakeSteps extends StepResults {
        Optional<Step> step = Optional.empty();

        FakeSteps() {
            super(null);
        }

        @Override
        public Optional<Step> of(UUID cycleId, String key) {
            calls.add("step " + key);
            return step;
        }
    }
}
