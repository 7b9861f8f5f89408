package io.cyclefleet.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/** The default topology, one server, as before: the protocol, the database number, and groups that already exist. */
class RedisSingleServerTest {

    private static RedisProcesses redis;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisProcesses("single");
        port = redis.startServer("single", List.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void theWholeProtocolOnOneServerInTheChosenDatabase() throws Exception {
        RedisConfig config = RedisTestSupport.config("address", "redis://127.0.0.1:" + port, "database", "3",
                "key-prefix", RedisTestSupport.prefix());
        RedissonClient client = RedisTestSupport.client(config);
        try {
            RedisTaskQueue q = RedisTestSupport.queue(client, config);
            // redis-cli reads database 3 here, so every check of the round trip also proves the database.
            redis.cliOptions(port, List.of("-n", "3"));
            QueueRoundTrip.run(q, redis, key -> port, List.of("alpha", "beta"));
            redis.cliOptions(port, List.of());
            assertEquals("0", redis.cli(port, "EXISTS", q.keys().epoch()), "nothing in database 0");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void ensuringAnExistingQueueCostsNoRetryDelay() throws Exception {
        RedisConfig config = RedisTestSupport.config("address", "redis://127.0.0.1:" + port, "key-prefix", RedisTestSupport.prefix());
        RedissonClient client = RedisTestSupport.client(config);
        try {
            RedisTaskQueue q = RedisTestSupport.queue(client, config);
            q.ensureQueue("gamma");
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                q.ensureQueue("gamma");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            // 15 BUSYGROUP replies took Redisson's retry delay each (about a second) before the script.
            assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "five ensureQueue of an existing queue took " + took);
            assertTrue(redis.cli(port, "XINFO", "GROUPS", q.keys().stream("gamma", Priority.LOW)).contains(QueueKeys.WORKER_GROUP));
        } finally {
            client.shutdown();
        }
    }
}
