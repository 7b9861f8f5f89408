package io.cyclefleet.worker;

import io.cyclefleet.config.OrchestratorConfig;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;

/** Workers from their heartbeat rows: live, draining, or gone (stopped, or silent too long). */
@ApplicationScoped
@Transactional(Transactional.TxType.SUPPORTS)
public class WorkerQueries {

    public record WorkerView(String id, String state, String hostname, long pid, List<String> queues, int concurrency,
                             int inFlight, OffsetDateTime startedAt, OffsetDateTime lastSeenAt, OffsetDateTime stoppedAt) {
    }

    private final OrchestratorConfig config;

    public WorkerQueries(OrchestratorConfig config) {
        this.config = config;
    }

    /** Most recently seen first. */
    public List<WorkerView> list() {
        OffsetDateTime silentSince = OffsetDateTime.now().minus(config.reconciler().workerGoneAfter());
        return WorkerEntity.<WorkerEntity>listAll(Sort.descending("lastSeenAt")).stream().map(w -> new WorkerView(
                w.id, state(w, silentSince), w.hostname, w.pid, Arrays.asList(w.queues.split(",")), w.concurrency,
                "GONE".equals(w.status) ? 0 : w.inFlight, w.startedAt, w.lastSeenAt, w.stoppedAt)).toList();
    }

    private static String state(WorkerEntity w, OffsetDateTime silentSince) {
        if ("GONE".equals(w.status) || w.lastSeenAt.isBefore(silentSince)) {
            return "GONE";
        }
        return w.status;
    }
}
