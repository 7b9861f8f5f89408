package io.cyclefleet.queue;

import io.cyclefleet.queue.RedisConfig.Mode;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.redisson.codec.JsonJacksonCodec;
import org.redisson.config.BaseConfig;
import org.redisson.config.BaseMasterSlaveServersConfig;
import org.redisson.config.Config;
import org.redisson.config.ReadMode;
import org.redisson.config.SslVerificationMode;
import org.redisson.config.SubscriptionMode;

/**
 * {@link RedisConfig} to a Redisson {@link Config}: checks the combination (every problem named by its key),
 * then builds the chosen topology with the settings all topologies share applied in one place. Also the
 * one description of the connection that may be logged: it never contains a secret.
 */
public final class RedissonSettings {

    static final String KEY = "cyclefleet.redis.";

    private RedissonSettings() {
    }

    /** The Redisson configuration for {@code redis}; throws {@link IllegalArgumentException} naming every bad key. */
    public static Config build(RedisConfig redis) {
        validate(redis);
        Config config = new Config();
        config.setCodec(new JsonJacksonCodec());
        config.setUseScriptCache(true);
        int pool = redis.connectionPoolSize();
        int minIdle = Math.min(redis.connectionMinimumIdleSize(), pool);
        switch (redis.mode()) {
            case SINGLE -> common(redis, config.useSingleServer()
                    .setAddress(redis.address().trim())
                    .setDatabase(redis.database())
                    .setConnectionPoolSize(pool)
                    .setConnectionMinimumIdleSize(minIdle));
            case SENTINEL -> {
                RedisConfig.Sentinel s = redis.sentinel();
                common(redis, withReplicas(redis, config.useSentinelServers()
                        .setMasterName(s.masterName().orElseThrow().trim())
                        .addSentinelAddress(trimmed(s.addresses().orElseThrow()))
                        .setSentinelUsername(s.username().orElse(null))
                        .setSentinelPassword(s.password().orElse(null))
                        .setCheckSentinelsList(s.checkSentinelsList())
                        .setScanInterval(millis(s.scanInterval()))
                        .setDatabase(redis.database())));
            }
            case CLUSTER -> common(redis, withReplicas(redis, config.useClusterServers()
                    .addNodeAddress(trimmed(redis.cluster().addresses().orElseThrow()))
                    .setScanInterval(millis(redis.cluster().scanInterval()))));
        }
        return config;
    }

    /** What every topology shares: credentials, TLS, timeouts. */
    private static <T extends BaseConfig<T>> T common(RedisConfig redis, T c) {
        RedisConfig.Tls tls = redis.tls();
        c.setUsername(redis.username().orElse(null))
                .setPassword(redis.password().orElse(null))
                .setTimeout(millis(redis.timeout()))
                .setConnectTimeout(millis(redis.connectTimeout()))
                .setRetryAttempts(1)
                .setSslVerificationMode(SslVerificationMode.valueOf(tls.verification().name()))
                .setSslTruststorePassword(tls.truststorePassword().orElse(null))
                .setSslKeystorePassword(tls.keystorePassword().orElse(null));
        tls.truststore().ifPresent(p -> c.setSslTruststore(url(p)));
        tls.keystore().ifPresent(p -> c.setSslKeystore(url(p)));
        return c;
    }

    /**
     * Sentinel and Cluster: every command goes to the master. A replica lags behind it, and the protocol's
     * reads must see what the master has (the epoch marker after a flush, the known queues, XLEN); replicas
     * serve only as failover candidates.
     */
    private static <T extends BaseMasterSlaveServersConfig<T>> T withReplicas(RedisConfig redis, T c) {
        int pool = redis.connectionPoolSize();
        return c.setReadMode(ReadMode.MASTER)
                .setSubscriptionMode(SubscriptionMode.MASTER)
                .setMasterConnectionPoolSize(pool)
                .setMasterConnectionMinimumIdleSize(Math.min(redis.connectionMinimumIdleSize(), pool))
                .setSlaveConnectionPoolSize(pool)
                .setSlaveConnectionMinimumIdleSize(1);
    }

    /** Every problem of the configuration, each naming its key; none: returns normally. */
    public static void validate(RedisConfig redis) {
        List<String> problems = new ArrayList<>();
        Optional<List<String>> sentinels = redis.sentinel().addresses().filter(l -> !l.isEmpty());
        Optional<String> master = redis.sentinel().masterName().filter(m -> !m.isBlank());
        Optional<List<String>> nodes = redis.cluster().addresses().filter(l -> !l.isEmpty());
        String mode = KEY + "mode=" + redis.mode().name().toLowerCase(Locale.ROOT);
        List<String> addresses = new ArrayList<>();
        switch (redis.mode()) {
            case SINGLE -> {
                address(problems, KEY + "address", redis.address(), addresses);
                sentinels.ifPresent(x -> problems.add(KEY + "sentinel.addresses is set, but " + mode + ": set " + KEY + "mode=sentinel to use Sentinel"));
                master.ifPresent(x -> problems.add(KEY + "sentinel.master-name is set, but " + mode + ": set " + KEY + "mode=sentinel to use Sentinel"));
                nodes.ifPresent(x -> problems.add(KEY + "cluster.addresses is set, but " + mode + ": set " + KEY + "mode=cluster to use Redis Cluster"));
            }
            case SENTINEL -> {
                if (master.isEmpty()) {
                    problems.add(KEY + "sentinel.master-name is required when " + mode + " (the name in 'sentinel monitor <name> ...')");
                }
                if (sentinels.isEmpty()) {
                    problems.add(KEY + "sentinel.addresses is required when " + mode + " (redis://host:26379, comma-separated)");
                } else {
                    addresses(problems, KEY + "sentinel.addresses", sentinels.get(), addresses);
                }
                nodes.ifPresent(x -> problems.add(KEY + "cluster.addresses is set, but " + mode));
            }
            case CLUSTER -> {
                if (nodes.isEmpty()) {
                    problems.add(KEY + "cluster.addresses is required when " + mode + " (redis://host:port of some nodes, comma-separated)");
                } else {
                    addresses(problems, KEY + "cluster.addresses", nodes.get(), addresses);
                }
                if (redis.database() != 0) {
                    problems.add(KEY + "database=" + redis.database() + " is not possible when " + mode
                            + ": Redis Cluster has only database 0 (separate fleets by " + KEY + "key-prefix instead)");
                }
                sentinels.ifPresent(x -> problems.add(KEY + "sentinel.addresses is set, but " + mode));
                master.ifPresent(x -> problems.add(KEY + "sentinel.master-name is set, but " + mode));
            }
        }
        if (redis.database() < 0) {
            problems.add(KEY + "database must be 0 or more, not " + redis.database());
        }
        if (addresses.stream().map(a -> a.startsWith("rediss://")).distinct().count() > 1) {
            problems.add("the addresses of " + mode + " mix redis:// and rediss://: use rediss:// for all of them (TLS) or for none");
        }
        boolean tls = addresses.stream().anyMatch(a -> a.startsWith("rediss://"));
        store(problems, "tls.truststore", redis.tls().truststore(), tls);
        store(problems, "tls.keystore", redis.tls().keystore(), tls);
        String prefix = redis.keyPrefix();
        if (prefix.isEmpty() || prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
            // A brace in the prefix would move or empty the {q:NAME} hash tag, and a queue's streams could land
            // in different Cluster slots (the fetch script would fail with CROSSSLOT).
            problems.add(KEY + "key-prefix must be non-empty and contain no '{' or '}' (they would change the keys' hash tags)");
        }
        if (redis.connectionPoolSize() < 1) {
            problems.add(KEY + "connection-pool-size must be at least 1");
        }
        if (redis.connectionMinimumIdleSize() < 0) {
            problems.add(KEY + "connection-minimum-idle-size must be 0 or more");
        }
        positive(problems, "timeout", redis.timeout());
        positive(problems, "connect-timeout", redis.connectTimeout());
        positive(problems, "sentinel.scan-interval", redis.sentinel().scanInterval());
        positive(problems, "cluster.scan-interval", redis.cluster().scanInterval());
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid Redis configuration: " + String.join("; ", problems));
        }
    }

    private static void addresses(List<String> problems, String key, List<String> values, List<String> out) {
        for (int i = 0; i < values.size(); i++) {
            address(problems, key + "[" + i + "]", values.get(i), out);
        }
    }

    /**
     * redis://host:port or rediss://host:port. Credentials in an address are refused: Redisson 3.52 prints an
     * address with its user:password@ part in its logs (RedisURI.toString), so a password there would leak.
     */
    private static void address(List<String> problems, String key, String raw, List<String> out) {
        String a = raw == null ? "" : raw.trim();
        int scheme = a.indexOf("://");
        String kind = scheme < 0 ? "" : a.substring(0, scheme).toLowerCase(Locale.ROOT);
        if (!kind.equals("redis") && !kind.equals("rediss")) {
            problems.add(key + " must be redis://host:port or rediss://host:port (TLS), not '" + redact(a) + "'");
            return;
        }
        String rest = a.substring(scheme + 3);
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            problems.add(key + " contains credentials (" + redact(a) + "): Redisson would write them to its logs. Put the password in "
                    + KEY + "password (env CYCLEFLEET_REDIS_PASSWORD, from a Secret) and an ACL user in " + KEY + "username");
            rest = rest.substring(at + 1);
        }
        int colon = rest.lastIndexOf(':');
        String host = colon < 0 ? rest : rest.substring(0, colon);
        String port = colon < 0 ? "" : rest.substring(colon + 1);
        if (host.isEmpty() || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) == 0 || Integer.parseInt(port) > 65535) {
            problems.add(key + " must name a host and a port (redis://host:6379), not '" + redact(a) + "'");
        }
        out.add(kind + "://" + rest);
    }

    private static void store(List<String> problems, String key, Optional<Path> path, boolean tls) {
        if (path.isEmpty()) {
            return;
        }
        if (!Files.isReadable(path.get())) {
            problems.add(KEY + key + "=" + path.get() + " is not a readable file");
        }
        if (!tls) {
            problems.add(KEY + key + " is set, but no address uses rediss://: the connection would not be encrypted");
        }
    }

    private static void positive(List<String> problems, String key, java.time.Duration d) {
        if (d.isNegative() || d.isZero()) {
            problems.add(KEY + key + " must be positive, not " + d);
        }
    }

    /** Shows the scheme and host:port only, so an error message never repeats a password. */
    static String redact(String address) {
        int scheme = address.indexOf("://");
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return address;
        }
        return (scheme < 0 || scheme > at ? "" : address.substring(0, scheme + 3)) + "***@" + address.substring(at + 1);
    }

    /** One line for the startup log: topology, nodes, user, whether a password is set, TLS files. Never a secret. */
    public static String describe(RedisConfig redis) {
        StringBuilder b = new StringBuilder(redis.mode().name().toLowerCase(Locale.ROOT));
        switch (redis.mode()) {
            case SINGLE -> b.append(" ").append(redact(redis.address().trim()));
            case SENTINEL -> b.append(" master '").append(redis.sentinel().masterName().orElse("")).append("' via ")
                    .append(redis.sentinel().addresses().orElse(List.of()).stream().map(RedissonSettings::redact).toList())
                    .append(redis.sentinel().password().isPresent() ? " (sentinel password set)" : "");
            case CLUSTER -> b.append(" ").append(redis.cluster().addresses().orElse(List.of()).stream().map(RedissonSettings::redact).toList());
        }
        if (redis.mode() != Mode.CLUSTER) {
            b.append(", database ").append(redis.database());
        }
        b.append(", user ").append(redis.username().orElse("default"))
                .append(redis.password().isPresent() ? ", password set" : ", no password");
        redis.tls().truststore().ifPresent(p -> b.append(", truststore ").append(p));
        redis.tls().keystore().ifPresent(p -> b.append(", keystore ").append(p));
        if (redis.tls().truststore().isPresent() || redis.tls().keystore().isPresent() || b.indexOf("rediss://") >= 0) {
            b.append(", TLS verification ").append(redis.tls().verification().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return b.append(", key prefix ").append(redis.keyPrefix()).toString();
    }

    private static String[] trimmed(List<String> addresses) {
        return addresses.stream().map(String::trim).toArray(String[]::new);
    }

    private static int millis(java.time.Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }

    private static URL url(Path p) {
        try {
            return p.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("not a usable file path: " + p, e);
        }
    }
}
