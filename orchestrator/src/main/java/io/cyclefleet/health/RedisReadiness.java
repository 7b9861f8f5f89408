package io.cyclefleet.health;

import io.cyclefleet.queue.RedisTaskQueue;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Redis down means cycles are accepted but not dispatched; not ready, so traffic goes to a healthy replica. */
@Readiness
@ApplicationScoped
public class RedisReadiness implements HealthCheck {

    private final RedisTaskQueue queue;

    public RedisReadiness(RedisTaskQueue queue) {
        this.queue = queue;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("redis").status(queue.ping()).build();
    }
}
