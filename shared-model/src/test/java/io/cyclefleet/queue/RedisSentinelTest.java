package io.cyclefleet.queue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * A master, its replica and one sentinel (quorum 1), reached through the producer in sentinel mode: the
 * protocol on the master, then a forced failover, after which the same client works on the new master.
 */
class RedisSentinelTest {

    private static final String MASTER_NAME = "cfmaster";
    private static RedisProcesses redis;
    private static int master;
    private static int replica;
    private static int sentinel;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisProcesses("sentinel");
        master = redis.startServer("master", List.of());
        replica = redis.startServer("replica", List.of("--replicaof", "127.0.0.1", Integer.toString(master)));
        await("replica in sync").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> redis.cli(replica, "INFO", "replication").contains("master_link_status:up"));
        sentinel = RedisProcesses.freePort(false);
        Path conf = redis.dir().resolve("sentinel.conf");
        Files.writeString(conf, String.join("\n",
                "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master + " 1",
                "sentinel down-after-milliseconds " + MASTER_NAME + " 2000",
                "sentinel failover-timeout " + MASTER_NAME + " 10000",
                "sentinel parallel-syncs " + MASTER_NAME + " 1", ""));
        redis.start("sentinel", sentinel, List.of(), List.of(conf.toString(), "--sentinel", "--port", Integer.toString(sentinel)));
        await("the sentinel knows the replica").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> redis.cli(sentinel, "SENTINEL", "REPLICAS", MASTER_NAME).contains(Integer.toString(replica)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    private static RedisConfig config(String prefix) {
        return RedisTestSupport.config("mode", "sentinel", "sentinel.master-name", MASTER_NAME,
                "sentinel.addresses", "redis://127.0.0.1:" + sentinel,
                // one sentinel is enough here; production runs three (Redisson refuses fewer than two by default)
                "sentinel.check-sentinels-list", "false",
                "key-prefix", prefix);
    }

    private static String masterPort() throws Exception {
        return redis.cli(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME).lines().toList().get(1);
    }

    @Test
    void theProtocolRunsOnTheMasterAndFollowsAFailover() throws Exception {
        RedisConfig config = config(RedisTestSupport.prefix());
        RedissonClient client = RedisTestSupport.client(config);
        try {
            RedisTaskQueue q = RedisTestSupport.queue(client, config);
            QueueRoundTrip.run(q, redis, key -> master, List.of("alpha", "beta"));

            assertEquals("OK", redis.cli(sentinel, "SENTINEL", "FAILOVER", MASTER_NAME));
            await("the sentinel names the replica as master").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> masterPort().equals(Integer.toString(replica)));
            // The client follows: a write through it lands on the new master (the old one refuses writes
            // once demoted, and Redisson retries there until it has switched).
            String probe = q.keys().stream("probe", Priority.HIGH);
            await("the client writes to the new master").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> {
                        q.ensureQueue("probe");
                        return "1".equals(redis.cli(replica, "EXISTS", probe));
                    });
            assertTrue(redis.cli(replica, "ROLE").startsWith("master"), "the replica was promoted");

            // The whole protocol again, on the promoted server, through the same client.
            RedisConfig after = config(RedisTestSupport.prefix());
            QueueRoundTrip.run(RedisTestSupport.queue(client, after), redis, key -> replica, List.of("gamma"));
        } finally {
            client.shutdown();
        }
    }
}
