package io.cyclefleet.support;

import io.cyclefleet.queue.RedisConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.redisson.api.RedissonClient;

/**
 * Flyway cleans the test database at each test-application start, and task ids restart with it; this
 * clears the test key prefix at the same moment so no message of an earlier run points at a new row.
 */
@ApplicationScoped
public class TestRedisReset {

    void reset(@Observes @Priority(1) StartupEvent event, RedissonClient redisson, RedisConfig config) {
        redisson.getKeys().deleteByPattern(config.keyPrefix() + ":*");
    }
}
