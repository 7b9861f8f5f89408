package io.cyclefleet.queue;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "cyclefleet.redis")
public interface RedisConfig {

    /** redis://host:port or rediss://host:port for TLS. */
    @WithDefault("redis://127.0.0.1:6379")
    String address();

    Optional<String> password();

    @WithDefault("0")
    int database();

    /** Prefix of every key this fleet owns; tests give each run its own. */
    @WithDefault("cf")
    String keyPrefix();

    @WithDefault("16")
    int connectionPoolSize();

    @WithDefault("3s")
    Duration timeout();
}
