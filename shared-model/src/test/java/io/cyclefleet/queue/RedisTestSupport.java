package io.cyclefleet.queue;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.redisson.api.RedissonClient;

/** Builds what the services build: RedisConfig through the real config mapping, the client through the producer. */
final class RedisTestSupport {

    private RedisTestSupport() {
    }

    /** RedisConfig from {@code key, value, ...} pairs, keys without the {@code cyclefleet.redis.} prefix. */
    static RedisConfig config(String... keyValues) {
        Map<String, String> props = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put("cyclefleet.redis." + keyValues[i], keyValues[i + 1]);
        }
        return new SmallRyeConfigBuilder().withMapping(RedisConfig.class).withConverter(Duration.class, 200, RedisTestSupport::duration)
                .withSources(new PropertiesConfigSource(props, "test", 500)).build().getConfigMapping(RedisConfig.class);
    }

    /** RedisConfig from environment variables only (the form a Kubernetes Deployment and its Secret use). */
    static RedisConfig fromEnv(Map<String, String> env) {
        return new SmallRyeConfigBuilder().withMapping(RedisConfig.class).withConverter(Duration.class, 200, RedisTestSupport::duration)
                .withSources(new EnvConfigSource(env, 300)).build().getConfigMapping(RedisConfig.class);
    }

    /** Durations the way Quarkus reads them (3s, 500ms, or ISO-8601); plain SmallRye reads only ISO-8601. */
    private static Duration duration(String v) {
        String s = v.trim();
        if (s.matches("[0-9]+ms")) {
            return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        }
        if (s.matches("[0-9]+[smh]")) {
            return Duration.parse("PT" + s.toUpperCase(java.util.Locale.ROOT));
        }
        return Duration.parse(s);
    }

    /** A key prefix of its own for each test. */
    static String prefix() {
        return "cft" + UUID.randomUUID().toString().substring(0, 8);
    }

    static RedissonClient client(RedisConfig config) {
        return new RedissonProducer().redisson(config);
    }

    /** The one place tests construct the queue, so a new constructor parameter is a one-line change here. */
    static RedisTaskQueue queue(RedissonClient client, RedisConfig config) {
        return new RedisTaskQueue(client, config);
    }
}
