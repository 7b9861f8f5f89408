package io.cyclefleet.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * A server with requirepass and an ACL user limited to the fleet's keys. The password from configuration
 * opens it; without it the producer fails naming the keys to set; and no password ever reaches the logs
 * (the producer's and Redisson's, at DEBUG) or the messages we build.
 */
class RedisAuthTest {

    private static final String PASSWORD = "pw-Default-7f3a9c";
    private static final String ACL_PASSWORD = "pw-Acl-51e0d2";
    private static final String WRONG_PASSWORD = "pw-Wrong-0b8e44";
    private static final String ACL_PREFIX = "cfacl";
    private static RedisProcesses redis;
    private static int port;
    private LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisProcesses("auth");
        port = RedisProcesses.freePort(false);
        redis.start("auth", port, List.of("-a", PASSWORD, "--no-auth-warning"),
                List.of("--port", Integer.toString(port), "--requirepass", PASSWORD));
        assertEquals("OK", redis.cli(port, "ACL", "SETUSER", "fleet", "on", ">" + ACL_PASSWORD, "~" + ACL_PREFIX + ":*", "&*",
                "+@all", "-@dangerous"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void captureLogs() {
        logs = new LogCapture("io.cyclefleet", Level.ALL, "org.redisson", org.jboss.logmanager.Level.DEBUG);
    }

    @AfterEach
    void noSecretInTheLogs() {
        if (logs == null) {
            return; // the test that shows what raw Redisson logs
        }
        logs.close();
        for (String secret : List.of(PASSWORD, ACL_PASSWORD, WRONG_PASSWORD)) {
            assertEquals(List.of(), logs.containing(secret), "log lines with a password");
        }
    }

    @Test
    void thePasswordFromConfigurationOpensTheServer() throws Exception {
        RedisConfig config = RedisTestSupport.config("address", "redis://127.0.0.1:" + port, "password", PASSWORD,
                "key-prefix", RedisTestSupport.prefix());
        RedissonClient client = RedisTestSupport.client(config);
        try {
            QueueRoundTrip.run(RedisTestSupport.queue(client, config), redis, key -> port, List.of("alpha"));
        } finally {
            client.shutdown();
        }
        String described = RedissonSettings.describe(config);
        assertTrue(described.contains("password set"), described);
        assertEquals(1, logs.containing("Redis: single redis://127.0.0.1:" + port).size(), "the startup line");
        assertNoSecret(described + config);
    }

    @Test
    void anAclUserGetsInWithItsPasswordAndOnlyToTheFleetsKeys() throws Exception {
        RedisConfig config = RedisTestSupport.config("address", "redis://127.0.0.1:" + port, "username", "fleet",
                "password", ACL_PASSWORD, "key-prefix", ACL_PREFIX);
        RedissonClient client = RedisTestSupport.client(config);
        try {
            QueueRoundTrip.run(RedisTestSupport.queue(client, config), redis, key -> port, List.of("alpha", "beta"));
            // Really the ACL user, not the default one: a key outside its pattern is refused.
            RedisException e = assertThrows(RedisException.class,
                    () -> client.getBucket("elsewhere:key", StringCodec.INSTANCE).set("x"));
            assertTrue(String.valueOf(e.getMessage()).contains("NOPERM"), e.toString());
        } finally {
            client.shutdown();
        }
        assertTrue(RedissonSettings.describe(config).contains("user fleet, password set"), RedissonSettings.describe(config));
    }

    @Test
    void withoutThePasswordTheProducerFailsNamingTheKeys() {
        RedisConfig config = RedisTestSupport.config("address", "redis://127.0.0.1:" + port, "connect-timeout", "2s");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RedisTestSupport.client(config).shutdown());
        assertTrue(e.getMessage().contains("Redis refused the connection (NOAUTH)") && e.getMessage().contains("cyclefleet.redis.password"),
                e.getMessage());
        assertTrue(trace(e).contains("NOAUTH"), trace(e));
    }

    @Test
    void aWrongPasswordFailsWithoutBeingRepeated() {
        RedisConfig config = RedisTestSupport.config("address", "redis://127.0.0.1:" + port, "username", "fleet",
                "password", WRONG_PASSWORD, "connect-timeout", "2s");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RedisTestSupport.client(config).shutdown());
        assertTrue(e.getMessage().contains("Redis refused the connection (WRONGPASS)") && e.getMessage().contains("cyclefleet.redis.username"),
                e.getMessage());
        assertTrue(trace(e).contains("WRONGPASS"), trace(e));
        assertNoSecret(trace(e));
    }

    @Test
    void credentialsInAnAddressAreRefusedWithoutBeingRepeated() {
        RedisConfig config = RedisTestSupport.config("address", "redis://fleet:" + ACL_PASSWORD + "@127.0.0.1:" + port);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisTestSupport.client(config).shutdown());
        assertTrue(e.getMessage().contains("cyclefleet.redis.address contains credentials")
                && e.getMessage().contains("cyclefleet.redis.password"), e.getMessage());
        assertTrue(e.getMessage().contains("redis://***@127.0.0.1:" + port), e.getMessage());
        assertNoSecret(trace(e) + config);
    }

    /**
     * Why the rule above exists: Redisson 3.52 itself, given such an address, writes the password into its
     * DEBUG lines (RedisURI.toString in "Connection created [addr=redis://user:password@...]"). When a
     * Redisson upgrade masks it (newer versions print ***), this test fails, and RedissonSettings may accept
     * credentials in addresses again.
     */
    @Test
    void redissonItselfWouldLogCredentialsFromAnAddress() {
        logs.close();
        logs = null;
        List<String> leaked;
        try (LogCapture raw = new LogCapture("org.redisson", org.jboss.logmanager.Level.DEBUG)) {
            Config config = new Config();
            config.useSingleServer().setAddress("redis://:" + PASSWORD + "@127.0.0.1:" + port).setConnectionMinimumIdleSize(1);
            RedissonClient client = Redisson.create(config);
            client.getBucket(RedisTestSupport.prefix(), StringCodec.INSTANCE).set("x");
            client.shutdown();
            leaked = raw.containing(PASSWORD);
        }
        assertFalse(leaked.isEmpty(), "Redisson no longer logs an address's credentials; RedissonSettings may allow them");
    }

    private static String trace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    private static void assertNoSecret(String text) {
        for (String secret : List.of(PASSWORD, ACL_PASSWORD, WRONG_PASSWORD)) {
            assertFalse(text.contains(secret), "a password in: " + text);
        }
    }
}
