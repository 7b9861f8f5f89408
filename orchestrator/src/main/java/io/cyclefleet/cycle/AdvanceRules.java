package io.cyclefleet.cycle;

import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.task.TaskStatus;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How a cycle's DAG moves, decided from a {@link CycleSnapshot} without touching the database: which steps are
 * skipped (an upstream step failed, was skipped or cancelled), whether the rollback branch must start, which steps
 * are queued (every upstream step succeeded, approval given), which gates are judged, whether the cycle waits for
 * an approval, and whether it is over. {@link CycleAdvancer} reads the snapshot and writes the decision.
 */
final class AdvanceRules {

    /** Judges a gate whose upstream steps all succeeded (the advancer reads what they reported). */
    @FunctionalInterface
    interface GateJudge {
        GateEvaluator.Evaluation judge(CycleSnapshot.Step gate) throws SQLException;
    }

    record GateVerdict(CycleSnapshot.Step gate, GateEvaluator.Evaluation evaluation) {
    }

    /** The rollback branch must start: the caller starts it and decides again on a fresh snapshot. */
    record RollbackStart(CycleStore.RollbackStart by, String cause) {
    }

    /** Nothing is left to run: how many main steps failed and which, and which rollback steps did not succeed. */
    record Ending(long failedMainSteps, String failedSteps, String rollbackFailures) {
    }

    /**
     * {@code skipped}: step id to the reason; {@code queued}: step ids, in id order. With a {@code rollback}, the
     * decision stops there ({@code approval} and {@code ending} are empty).
     */
    record Decision(Map<Long, String> skipped, List<Long> queued, List<GateVerdict> gates, Optional<RollbackStart> rollback,
                    Optional<CycleStatus> approval, Optional<Ending> ending) {
    }

    /** A failure decided now sorts after every failure already recorded (its finished_at will be now()). */
    private static final Instant NOW = Instant.MAX;

    private AdvanceRules() {
    }

    /**
     * Decides the next moves of {@code cycle}. {@code mayFinish} is false when this advance already queued steps
     * (before a rollback started): the cycle then cannot be over yet.
     */
    static Decision decide(CycleSnapshot cycle, GateJudge judge, boolean mayFinish) throws SQLException {
        State s = new State(cycle);
        Map<Long, String> skipped = new LinkedHashMap<>();
        List<Long> queued = new ArrayList<>();
        List<GateVerdict> gates = new ArrayList<>();
        boolean judged;
        do {
            skipDownstreamOfFailures(s, skipped);
            if (!cycle.rollingBack()) {
                Optional<RollbackStart> rollback = rollbackNeeded(s);
                if (rollback.isPresent()) {
                    return new Decision(skipped, queued, gates, rollback, Optional.empty(), Optional.empty());
                }
            }
            for (CycleSnapshot.Step step : cycle.steps()) {
                if (s.pending(step) && !step.isGate() && (step.main() || cycle.rollingBack())
                        && (!step.needsApproval() || step.approved()) && s.upstreamSucceeded(step)) {
                    s.status.put(step.id(), TaskStatus.QUEUED);
                    queued.add(step.id());
                }
            }
            judged = false;
            for (CycleSnapshot.Step step : cycle.steps()) {
                if (s.pending(step) && step.isGate() && s.upstreamSucceeded(step)) {
                    GateEvaluator.Evaluation e = judge.judge(step);
                    gates.add(new GateVerdict(step, e));
                    s.status.put(step.id(), e.passed() ? TaskStatus.SUCCEEDED : TaskStatus.FAILED);
                    if (!e.passed()) {
                        s.fail(step, e.summary());
                    }
                    judged = true;
                }
            }
        } while (judged);
        boolean waiting = cycle.steps().stream().anyMatch(step -> s.pending(step) && step.needsApproval() && !step.approved()
                && s.upstreamSucceeded(step));
        CycleStatus next = waiting ? CycleStatus.AWAITING_APPROVAL
                : cycle.status() == CycleStatus.AWAITING_APPROVAL ? CycleStatus.RUNNING : cycle.status();
        Optional<CycleStatus> approval = next == cycle.status() ? Optional.empty() : Optional.of(next);
        Optional<Ending> ending = mayFinish && queued.isEmpty() ? ending(s) : Optional.empty();
        return new Decision(skipped, queued, gates, Optional.empty(), approval, ending);
    }

    /** Skips every PENDING step below a failed, skipped or cancelled one, transitively. */
    private static void skipDownstreamOfFailures(State s, Map<Long, String> skipped) {
        boolean changed;
        do {
            changed = false;
            for (CycleSnapshot.Step step : s.cycle.steps()) {
                if (!s.pending(step)) {
                    continue;
                }
                for (long up : step.upstream()) {
                    TaskStatus upStatus = s.status.get(up);
                    if (upStatus == TaskStatus.FAILED || upStatus == TaskStatus.SKIPPED || upStatus == TaskStatus.CANCELLED) {
                        s.status.put(step.id(), TaskStatus.SKIPPED);
                        skipped.put(step.id(), "upstream step " + s.byId.get(up).key() + " ended " + upStatus);
                        changed = true;
                        break;
                    }
                }
            }
        } while (changed);
    }

    /**
     * A trigger step (deploy, verify, a gate after the deploy) failed; or any other main step failed after a deployment
     * started and there is a rollback branch: every path out of a deployed cycle rolls back.
     */
    private static Optional<RollbackStart> rollbackNeeded(State s) {
        Optional<String> trigger = s.firstMainFailure(true);
        if (trigger.isPresent()) {
            return Optional.of(new RollbackStart(CycleStore.RollbackStart.TRIGGER, trigger.get()));
        }
        Optional<String> failure = s.firstMainFailure(false);
        if (failure.isPresent() && s.cycle.deployed() && s.cycle.hasRollbackBranch()) {
            return Optional.of(new RollbackStart(CycleStore.RollbackStart.FAILURE, failure.get() + " (after a deployment started)"));
        }
        return Optional.empty();
    }

    private static Optional<Ending> ending(State s) {
        boolean rollingBack = s.cycle.rollingBack();
        List<CycleSnapshot.Step> steps = s.cycle.steps();
        if (steps.stream().anyMatch(step -> !s.status.get(step.id()).isTerminal() && (step.main() || rollingBack))) {
            return Optional.empty();
        }
        List<CycleSnapshot.Step> failed = steps.stream()
                .filter(step -> step.main() && s.status.get(step.id()) == TaskStatus.FAILED).toList();
        String rollbackFailures = steps.stream()
                .filter(step -> !step.main() && s.status.get(step.id()) != TaskStatus.SUCCEEDED)
                .map(step -> step.key() + " " + s.status.get(step.id())).collect(Collectors.joining(", "));
        return Optional.of(new Ending(failed.size(),
                failed.isEmpty() ? null : failed.stream().map(CycleSnapshot.Step::key).collect(Collectors.joining(", ")),
                rollbackFailures.isEmpty() ? null : rollbackFailures));
    }

    /** The statuses as decided so far, over the snapshot's. */
    private static final class State {
        final CycleSnapshot cycle;
        final Map<Long, CycleSnapshot.Step> byId = new HashMap<>();
        final Map<Long, TaskStatus> status = new HashMap<>();
        final Map<Long, String> failure = new HashMap<>();
        final Map<Long, Instant> failedAt = new HashMap<>();

        State(CycleSnapshot cycle) {
            this.cycle = cycle;
            for (CycleSnapshot.Step step : cycle.steps()) {
                byId.put(step.id(), step);
                status.put(step.id(), step.status());
                if (step.failure() != null) {
                    failure.put(step.id(), step.failure());
                }
                failedAt.put(step.id(), step.finishedAt() == null ? NOW : step.finishedAt());
            }
        }

        boolean pending(CycleSnapshot.Step step) {
            return status.get(step.id()) == TaskStatus.PENDING;
        }

        boolean upstreamSucceeded(CycleSnapshot.Step step) {
            return step.upstream().stream().allMatch(up -> status.get(up) == TaskStatus.SUCCEEDED);
        }

        void fail(CycleSnapshot.Step step, String error) {
            failure.put(step.id(), step.kind() + " step " + step.key() + " failed: " + left(error, 1000));
            failedAt.put(step.id(), NOW);
        }

        /** "kind step key failed: error" of the earliest FAILED main step (only triggers when {@code triggers}). */
        Optional<String> firstMainFailure(boolean triggers) {
            return cycle.steps().stream()
                    .filter(step -> step.main() && status.get(step.id()) == TaskStatus.FAILED && (step.triggersRollback() || !triggers))
                    .min(Comparator.comparing((CycleSnapshot.Step step) -> failedAt.get(step.id())).thenComparingLong(CycleSnapshot.Step::id))
                    .map(step -> failure.getOrDefault(step.id(), step.kind() + " step " + step.key() + " failed: FAILED"));
        }
    }

    private static String left(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n);
    }
}
