package io.cyclefleet.cycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.api.ConflictException;
import io.cyclefleet.api.InvalidSpecException;
import io.cyclefleet.task.CycleStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/** Submitting, iterating, deciding on and ending cycles. */
@ApplicationScoped
public class CycleService {

    private static final Logger LOG = Logger.getLogger(CycleService.class);

    private final CyclePlanner planner;
    private final CycleStore store;
    private final DispatchMarks marks;
    private final CycleMetrics metrics;
    private final ObjectMapper json;
    private final CycleAdvancer advancer;

    public CycleService(CyclePlanner planner, CycleStore store, DispatchMarks marks, CycleMetrics metrics, ObjectMapper json,
                        CycleAdvancer advancer) {
        this.planner = planner;
        this.store = store;
        this.marks = marks;
        this.metrics = metrics;
        this.json = json;
        this.advancer = advancer;
    }

    /**
     * Validates the whole spec (its template expanded), writes the cycle and its DAG in one transaction, then
     * puts the root tasks on Redis. If Redis is down the cycle is still accepted: the reconciler dispatches it
     * later. The stored spec is the expanded one, so what ran is what the cycle shows.
     */
    public CycleStore.Submitted submit(CycleSpec spec, Optional<String> idempotencyKey) {
        CyclePlanner.Plan plan = planner.plan(spec);
        CycleStore.Submitted s = store.create(plan, write(plan.spec()), idempotencyKey, Optional.empty());
        if (!s.created()) {
            if (!s.sameSpec()) {
                throw new ConflictException("Idempotency-Key '" + idempotencyKey.orElse("") + "' was already used for cycle "
                        + s.id() + " with a different spec");
            }
            return s;
        }
        metrics.submitted();
        start(s);
        return s;
    }

    private void start(CycleStore.Submitted s) {
        if (s.roots().isEmpty()) {
            advancer.advance(List.of(s.id())); // every root waits for an approval
        } else {
            marks.start(s.id(), s.roots());
        }
    }

    /** Starts every next iteration that is due (called by the reconciler, one replica at a time). */
    public int startDueIterations(int limit) {
        int started = 0;
        for (CycleStore.DueIteration due : store.dueIterations(limit)) {
            try {
                CycleSpec spec = json.readValue(due.specJson(), CycleSpec.class);
                CycleStore.Submitted s = store.create(planner.plan(spec), due.specJson(), Optional.empty(),
                        Optional.of(new CycleStore.Iteration(due.parent(), due.number())));
                if (s.created()) {
                    metrics.submitted();
                    start(s);
                    started++;
                }
            } catch (InvalidSpecException | JsonProcessingException e) {
                LOG.warnf("iteration %d of cycle %s cannot start: %s", due.number(), due.parent(), e.getMessage());
                store.abandonIteration(due.parent(), "iteration " + due.number() + " cannot start: " + e.getMessage());
            } catch (RuntimeException e) {
                // transient (store down): the next pass tries again; the other parents still get their turn
                LOG.warnf("iteration %d of cycle %s not started yet: %s", due.number(), due.parent(), e.toString());
            }
        }
        return started;
    }

    /**
     * Ends every cycle past its deadline (or whose rollback is past its own) and opens its incident; one that has
     * deployed rolls back first.
     */
    public int expireOverdue(int limit) {
        int expired = 0;
        for (UUID id : store.overdue(limit)) {
            switch (store.expire(id)) {
                case EXPIRED -> {
                    metrics.finished(CycleStatus.FAILED);
                    expired++;
                }
                case ROLLING_BACK -> advancer.advance(List.of(id));
                case NOT_DUE -> { }
            }
        }
        return expired;
    }

    /** Reruns a failed or cancelled cycle from its unfinished steps and queues those now ready. */
    public CycleStore.RetryResult retry(UUID id) {
        CycleStore.RetryResult r = store.retry(id);
        if (r == CycleStore.RetryResult.RESTARTED) {
            advancer.advance(List.of(id));
        }
        return r;
    }

    public CycleStore.ApprovalResult approve(UUID id, String actor, Optional<List<String>> steps) {
        CycleStore.ApprovalResult r = store.approve(id, actor, steps);
        if (r == CycleStore.ApprovalResult.DONE) {
            advancer.advance(List.of(id));
        }
        return r;
    }

    public CycleStore.ApprovalResult reject(UUID id, String actor) {
        CycleStore.ApprovalResult r = store.reject(id, actor);
        if (r == CycleStore.ApprovalResult.DONE) {
            metrics.finished(CycleStatus.CANCELLED);
        }
        return r;
    }

    /** Cancels the cycle; one that has started a deployment rolls back first unless {@code rollback} is false. */
    public CycleStore.CancelResult cancel(UUID id, String actor, boolean rollback) {
        CycleStore.CancelResult r = store.cancel(id, actor, rollback);
        if (r == CycleStore.CancelResult.CANCELLED) {
            metrics.finished(CycleStatus.CANCELLED);
        } else if (r == CycleStore.CancelResult.ROLLING_BACK) {
            advancer.advance(List.of(id));
        }
        return r;
    }

    private String write(CycleSpec spec) {
        try {
            return json.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
