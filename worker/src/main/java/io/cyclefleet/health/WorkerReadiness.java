package io.cyclefleet.health;

import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.worker.WorkerRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while draining (Kubernetes stops routing to it) or while Redis cannot be reached. */
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
        return HealthCheckResponse.named("worker").status(!runtime.draining() && redis)
                .withData("draining", runtime.draining()).withData("redis", redis)
                .withData("id", String.valueOf(runtime.id())).build();
    }
}
