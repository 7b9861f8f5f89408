package io.cyclefleet.health;

import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.worker.WorkerRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready while draining (Kubernetes stops routing to it), while Redis cannot be reached, or while a handler
 * hangs (runs past its timeout ignoring interruption: the worker fetches nothing until it returns; restart it).
 */
@Readiness
@ApplicationScoped
public class WorkerReadiness implements HealthCheck {

    private final WorkerRuntime runtime;
    private final RedisTaskQueue queue;

    public WorkerReadiness(WorkerRuntime runtime, RedisTaskQueue queue) {
        this.runtime = runtime;
        this.queue = queue;
    }

    @Override
    public HealthCheckResponse call() {
        boolean redis = queue.ping();
        java.util.List<String> hung = runtime.hungTasks();
        var response = HealthCheckResponse.named("worker").status(!runtime.draining() && redis && hung.isEmpty())
                .withData("draining", runtime.draining()).withData("redis", redis)
                .withData("id", String.valueOf(runtime.id()));
        if (!hung.isEmpty()) {
            response = response.withData("hung", String.join(", ", hung));
        }
        return response.build();
    }
}
