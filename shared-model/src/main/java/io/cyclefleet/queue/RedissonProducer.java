package io.cyclefleet.queue;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;

/** The one RedissonClient of a process, configured from {@link RedisConfig} by {@link RedissonSettings}. */
@ApplicationScoped
public class RedissonProducer {

    private static final Logger LOG = Logger.getLogger(RedissonProducer.class);

    /**
     * A bad configuration stops the service at startup, naming the key, not at its first use of Redis (the
     * client itself is created lazily, so a Redis that is down only makes the service unready). Quarkus'
     * StartupEvent is a CDI {@link Startup}.
     */
    void validate(@Observes Startup startup, RedisConfig redis) {
        RedissonSettings.validate(redis);
    }

    @Produces
    @Singleton
    RedissonClient redisson(RedisConfig redis) {
        var config = RedissonSettings.build(redis);
        LOG.infof("Redis: %s", RedissonSettings.describe(redis));
        try {
            return Redisson.create(config);
        } catch (RuntimeException e) {
            String refusal = refusal(e);
            if (refusal == null) {
                throw e;
            }
            throw new IllegalStateException("Redis refused the connection (" + refusal + ") to " + RedissonSettings.describe(redis)
                    + ": set " + RedissonSettings.KEY + "password (env CYCLEFLEET_REDIS_PASSWORD, from a Secret) and, for an ACL user, "
                    + RedissonSettings.KEY + "username", e);
        }
    }

    /** NOAUTH (a password is needed), WRONGPASS (wrong user or password) or NOPERM somewhere in the causes; else null. */
    private static String refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            for (String code : new String[] {"NOAUTH", "WRONGPASS", "NOPERM"}) {
                if (m.contains(code)) {
                    return code;
                }
            }
        }
        return null;
    }

    void close(@Disposes RedissonClient client) {
        client.shutdown();
    }
}
