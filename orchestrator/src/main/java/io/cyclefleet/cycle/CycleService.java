package io.cyclefleet.cycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.api.ConflictException;
import io.cyclefleet.task.TaskDispatcher;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Submitting and cancelling cycles. */
@ApplicationScoped
public class CycleService {

    private final CyclePlanner planner;
    private final CycleStore store;
    private final TaskDispatcher dispatcher;
    private final CycleMetrics metrics;
    private final ObjectMapper json;
    private final CycleAdvancer advancer;

    public CycleService(CyclePlanner planner, CycleStore store, TaskDispatcher dispatcher, CycleMetrics metrics, ObjectMapper json,
                        CycleAdvancer advancer) {
        this.planner = planner;
        this.store = store;
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.json = json;
        this.advancer = advancer;
    }

    /**
     * Validates the whole spec, writes the cycle and its DAG in one transaction, then puts the root tasks
     * on Redis. If Redis is down the cycle is still accepted: the reconciler dispatches it later.
     */
    public CycleStore.Submitted submit(CycleSpec spec, Optional<String> idempotencyKey) {
        List<PlannedTask> tasks = planner.plan(spec);
        String specJson;
        try {
            specJson = json.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        CycleStore.Submitted s = store.create(spec.name(), specJson, idempotencyKey, tasks);
        if (!s.created()) {
            if (!s.sameSpec()) {
                throw new ConflictException("Idempotency-Key '" + idempotencyKey.orElse("") + "' was already used for cycle "
                        + s.id() + " with a different spec");
            }
            return s;
        }
        metrics.submitted();
        if (dispatcher.dispatch(s.roots())) {
            store.markRunning(s.id());
        }
        return s;
    }

    /** Reruns a failed or cancelled cycle from its unfinished steps and queues those now ready. */
    public CycleStore.RetryResult retry(UUID id) {
        CycleStore.RetryResult r = store.retry(id);
        if (r == CycleStore.RetryResult.RESTARTED) {
            advancer.advance(List.of(id));
        }
        return r;
    }

    public CycleStore.CancelResult cancel(UUID id) {
        CycleStore.CancelResult r = store.cancel(id, "cancelled by operator");
        if (r == CycleStore.CancelResult.CANCELLED) {
            metrics.finished(io.cyclefleet.task.CycleStatus.CANCELLED);
        }
        return r;
    }
}
