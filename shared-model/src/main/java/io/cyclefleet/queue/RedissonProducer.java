package io.cyclefleet.queue;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.codec.JsonJacksonCodec;
import org.redisson.config.Config;

/** The one RedissonClient of a process, configured from {@link RedisConfig}. */
@ApplicationScoped
public class RedissonProducer {

    @Produces
    @Singleton
    RedissonClient redisson(RedisConfig redis) {
        Config config = new Config();
        config.setCodec(new JsonJacksonCodec());
        config.setUseScriptCache(true);
        config.useSingleServer()
                .setAddress(redis.address())
                .setPassword(redis.password().orElse(null))
                .setDatabase(redis.database())
                .setConnectionPoolSize(redis.connectionPoolSize())
                .setConnectionMinimumIdleSize(Math.min(4, redis.connectionPoolSize()))
                .setTimeout((int) redis.timeout().toMillis())
                .setRetryAttempts(1);
        return Redisson.create(config);
    }

    void close(@Disposes RedissonClient client) {
        client.shutdown();
    }
}
