package io.cyclefleet.queue;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where Redis is and how to reach it (docs/redis.md). {@link RedissonSettings} checks the combination at
 * startup and builds the Redisson configuration; secrets ({@code password}, {@code sentinel.password},
 * {@code tls.*-password}) belong in a Kubernetes Secret mapped to environment variables, never in an address.
 */
@ConfigMapping(prefix = "cyclefleet.redis")
public interface RedisConfig {

    enum Mode {
        /** One server at {@code address} (default). */
        SINGLE,
        /** A master found through Sentinel ({@code sentinel.master-name}, {@code sentinel.addresses}). */
        SENTINEL,
        /** Redis Cluster, discovered from any of {@code cluster.addresses}. */
        CLUSTER
    }

    @WithDefault("single")
    Mode mode();

    /** Single mode: redis://host:port, or rediss://host:port for TLS. No credentials in it: use {@link #password()}. */
    @WithDefault("redis://127.0.0.1:6379")
    String address();

    Sentinel sentinel();

    Cluster cluster();

    /** Redis 6+ ACL user; unset: the default user (password only). */
    Optional<String> username();

    Optional<String> password();

    /** Single and sentinel modes only; Redis Cluster has only database 0. */
    @WithDefault("0")
    int database();

    /** Prefix of every key this fleet owns; tests give each run its own. No braces: they would change the hash tags. */
    @WithDefault("cf")
    String keyPrefix();

    /** Connections to each master (the server in single mode). */
    @WithDefault("16")
    int connectionPoolSize();

    /** Connections kept open to each master even when idle (at most the pool size). */
    @WithDefault("4")
    int connectionMinimumIdleSize();

    /** Response timeout of one command. */
    @WithDefault("3s")
    Duration timeout();

    /** Timeout of establishing one connection (TCP, TLS handshake, AUTH). */
    @WithDefault("5s")
    Duration connectTimeout();

    Tls tls();

    interface Sentinel {

        /** The name the sentinels monitor the master under ({@code sentinel monitor <name> ...}). */
        Optional<String> masterName();

        /** redis://host:port (or rediss://) of one or more sentinels. */
        Optional<List<String>> addresses();

        /** Sentinels' own ACL user, when they require one. */
        Optional<String> username();

        /** Sentinels' own password ({@code requirepass} of the sentinel), when they require one. */
        Optional<String> password();

        /**
         * Refuse to start when fewer than two sentinels are known (Redisson's check); turn off only for a
         * single-sentinel test setup.
         */
        @WithDefault("true")
        boolean checkSentinelsList();

        /** How often the sentinels are asked for the current master and replicas. */
        @WithDefault("1s")
        Duration scanInterval();
    }

    interface Cluster {

        /** redis://host:port (or rediss://) of some cluster nodes; the rest are discovered. */
        Optional<List<String>> addresses();

        /** How often the cluster's topology (CLUSTER NODES) is read, so failovers and resharding are followed. */
        @WithDefault("2s")
        Duration scanInterval();
    }

    /** TLS is switched on by rediss:// addresses; these only say whom to trust and who we are. */
    interface Tls {

        /** PKCS#12 or JKS file of the CAs to trust; unset: the JVM's default trust store. */
        Optional<Path> truststore();

        Optional<String> truststorePassword();

        /** PKCS#12 or JKS file with the client's key and certificate, for servers with tls-auth-clients yes. */
        Optional<Path> keystore();

        Optional<String> keystorePassword();

        /**
         * {@code strict}: the certificate must name the host (DNS or IP SAN) the client connects to;
         * {@code ca-only}: signed by a trusted CA is enough (Cluster nodes announced by IP with certificates
         * naming DNS only); {@code none}: no check at all (never in production).
         */
        @WithDefault("strict")
        Verification verification();

        enum Verification {
            STRICT, CA_ONLY, NONE
        }
    }
}
