package io.cyclefleet.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.config.Config;
import org.redisson.config.ReadMode;
import org.redisson.config.SslVerificationMode;

/** The configuration keys and their checks, without a server: every bad combination names its key. */
class RedisConfigTest {

    private static String problems(String... keyValues) {
        RedisConfig config = RedisTestSupport.config(keyValues);
        return assertThrows(IllegalArgumentException.class, () -> RedissonSettings.build(config)).getMessage();
    }

    @Test
    void theDefaultIsTheSingleServerOfBefore() {
        Config c = RedissonSettings.build(RedisTestSupport.config());
        assertTrue(c.isSingleConfig());
        var s = c.useSingleServer();
        assertEquals("redis://127.0.0.1:6379", s.getAddress());
        assertEquals(0, s.getDatabase());
        assertNull(s.getPassword());
        assertNull(s.getUsername());
        assertEquals(16, s.getConnectionPoolSize());
        assertEquals(4, s.getConnectionMinimumIdleSize());
        assertEquals(3000, s.getTimeout());
        assertEquals(1, s.getRetryAttempts());
        assertTrue(c.isUseScriptCache());
    }

    @Test
    void environmentVariablesChooseAClusterAndItsNodes() {
        RedisConfig config = RedisTestSupport.fromEnv(Map.of(
                "CYCLEFLEET_REDIS_MODE", "cluster",
                "CYCLEFLEET_REDIS_CLUSTER_ADDRESSES", "rediss://redis-0.redis:6379,rediss://redis-1.redis:6379",
                "CYCLEFLEET_REDIS_CLUSTER_SCAN_INTERVAL", "PT5S",
                "CYCLEFLEET_REDIS_USERNAME", "fleet",
                "CYCLEFLEET_REDIS_PASSWORD", "from-a-secret",
                "CYCLEFLEET_REDIS_TLS_VERIFICATION", "ca-only",
                "CYCLEFLEET_REDIS_CONNECTION_POOL_SIZE", "8"));
        Config c = RedissonSettings.build(config);
        var cluster = c.useClusterServers();
        assertEquals(List.of("rediss://redis-0.redis:6379", "rediss://redis-1.redis:6379"), cluster.getNodeAddresses());
        assertEquals(5000, cluster.getScanInterval());
        assertEquals("fleet", cluster.getUsername());
        assertEquals("from-a-secret", cluster.getPassword());
        assertEquals(SslVerificationMode.CA_ONLY, cluster.getSslVerificationMode());
        assertEquals(8, cluster.getMasterConnectionPoolSize());
        assertEquals(ReadMode.MASTER, cluster.getReadMode(), "every command to the master");
        String described = RedissonSettings.describe(config);
        assertEquals("cluster [rediss://redis-0.redis:6379, rediss://redis-1.redis:6379], user fleet, password set, "
                + "TLS verification ca-only, key prefix cf", described);
    }

    @Test
    void environmentVariablesChooseSentinel() {
        RedisConfig config = RedisTestSupport.fromEnv(Map.of(
                "CYCLEFLEET_REDIS_MODE", "sentinel",
                "CYCLEFLEET_REDIS_SENTINEL_MASTER_NAME", "mymaster",
                "CYCLEFLEET_REDIS_SENTINEL_ADDRESSES", "redis://s0:26379,redis://s1:26379,redis://s2:26379",
                "CYCLEFLEET_REDIS_SENTINEL_PASSWORD", "sentinel-secret",
                "CYCLEFLEET_REDIS_DATABASE", "2"));
        var s = RedissonSettings.build(config).useSentinelServers();
        assertEquals("mymaster", s.getMasterName());
        assertEquals(List.of("redis://s0:26379", "redis://s1:26379", "redis://s2:26379"), s.getSentinelAddresses());
        assertEquals("sentinel-secret", s.getSentinelPassword());
        assertEquals(2, s.getDatabase());
        assertTrue(s.isCheckSentinelsList());
        assertEquals(ReadMode.MASTER, s.getReadMode());
        String described = RedissonSettings.describe(config);
        assertFalse(described.contains("sentinel-secret"), described);
        assertTrue(described.startsWith("sentinel master 'mymaster' via [redis://s0:26379, redis://s1:26379, redis://s2:26379] "
                + "(sentinel password set), database 2"), described);
    }

    @Test
    void sentinelModeNeedsItsMasterNameAndSentinels() {
        String p = problems("mode", "sentinel");
        assertTrue(p.contains("cyclefleet.redis.sentinel.master-name is required when cyclefleet.redis.mode=sentinel"), p);
        assertTrue(p.contains("cyclefleet.redis.sentinel.addresses is required when cyclefleet.redis.mode=sentinel"), p);
    }

    @Test
    void clusterModeNeedsAddressesAndHasOnlyDatabaseZero() {
        String p = problems("mode", "cluster", "database", "3");
        assertTrue(p.contains("cyclefleet.redis.cluster.addresses is required when cyclefleet.redis.mode=cluster"), p);
        assertTrue(p.contains("cyclefleet.redis.database=3 is not possible when cyclefleet.redis.mode=cluster"), p);
    }

    @Test
    void keysOfAnotherModeAreAMistakeNotIgnored() {
        String p = problems("cluster.addresses", "redis://a:6379");
        assertTrue(p.contains("cyclefleet.redis.cluster.addresses is set, but cyclefleet.redis.mode=single: set cyclefleet.redis.mode=cluster"), p);
        p = problems("mode", "cluster", "cluster.addresses", "redis://a:6379", "sentinel.master-name", "m");
        assertTrue(p.contains("cyclefleet.redis.sentinel.master-name is set, but cyclefleet.redis.mode=cluster"), p);
    }

    @Test
    void addressesAreCheckedAndCredentialsInThemRefused() {
        String p = problems("mode", "cluster", "cluster.addresses", "redis://a:6379,http://b:6379,redis://c,rediss://d:6379,redis://u:s3cr3t@e:6379");
        assertTrue(p.contains("cyclefleet.redis.cluster.addresses[1] must be redis://host:port or rediss://host:port"), p);
        assertTrue(p.contains("cyclefleet.redis.cluster.addresses[2] must name a host and a port"), p);
        assertTrue(p.contains("mix redis:// and rediss://"), p);
        assertTrue(p.contains("cyclefleet.redis.cluster.addresses[4] contains credentials (redis://***@e:6379)"), p);
        assertFalse(p.contains("s3cr3t"), p);
    }

    @Test
    void aPrefixWithBracesWouldBreakTheHashTags() {
        assertTrue(problems("key-prefix", "cf{x}").contains("cyclefleet.redis.key-prefix must be non-empty and contain no '{' or '}'"));
    }

    @Test
    void tlsStoresMustExistAndNeedRediss(@TempDir Path dir) throws Exception {
        Path trust = Files.createFile(dir.resolve("trust.p12"));
        String p = problems("tls.truststore", trust.toString(), "tls.keystore", dir.resolve("missing.p12").toString());
        assertTrue(p.contains("cyclefleet.redis.tls.truststore is set, but no address uses rediss://"), p);
        assertTrue(p.contains("cyclefleet.redis.tls.keystore=" + dir.resolve("missing.p12") + " is not a readable file"), p);
        Config c = RedissonSettings.build(RedisTestSupport.config("address", "rediss://redis:6380", "tls.truststore", trust.toString(),
                "tls.truststore-password", "changeit"));
        assertEquals(trust.toUri().toURL(), c.useSingleServer().getSslTruststore());
        assertEquals("changeit", c.useSingleServer().getSslTruststorePassword());
        assertEquals(SslVerificationMode.STRICT, c.useSingleServer().getSslVerificationMode());
    }

    @Test
    void durationsAndPoolsMustBePositive() {
        String p = problems("timeout", "0s", "connection-pool-size", "0");
        assertTrue(p.contains("cyclefleet.redis.timeout must be positive"), p);
        assertTrue(p.contains("cyclefleet.redis.connection-pool-size must be at least 1"), p);
    }
}
