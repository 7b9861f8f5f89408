package io.cyclefleet.auth;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The configured API tokens as SHA-256 digests. A presented token is hashed and compared with every
 * configured digest in constant time; the token itself is never stored, logged or kept in the identity.
 */
@Singleton
public class ApiTokens {

    private static final Logger LOG = Logger.getLogger(ApiTokens.class);

    /** A configured token: its name (the principal) and role; the digest stays private to this class. */
    public record Known(String name, AuthConfig.Role role) {
    }

    private record Entry(Known known, byte[] sha256) {
    }

    private final List<Entry> entries;

    public ApiTokens(AuthConfig config) {
        // Sorted by name so the start-up log and the comparison order are stable.
        Map<String, AuthConfig.Token> tokens = new TreeMap<>(config.tokens());
        this.entries = tokens.entrySet().stream()
                .map(e -> new Entry(new Known(e.getKey(), e.getValue().role()), digest(e.getKey(), e.getValue().sha256())))
                .toList();
    }

    private static byte[] digest(String name, String hex) {
        String h = hex == null ? "" : hex.trim();
        if (h.length() != 64) {
            throw new IllegalStateException("cyclefleet.auth.tokens." + name + ".sha256 must be the hex SHA-256 of the "
                    + "token (64 hex digits, see scripts/api-token), not the token itself; it has " + h.length() + " characters");
        }
        try {
            return HexFormat.of().parseHex(h);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cyclefleet.auth.tokens." + name + ".sha256 is not hexadecimal");
        }
    }

    /** Validates the configuration at start-up (a bad digest stops the orchestrator) and says who may call. */
    void logAtStartup(@Observes StartupEvent event) {
        if (entries.isEmpty()) {
            LOG.warn("no API tokens configured (cyclefleet.auth.tokens.<name>.sha256/.role): every /api request will "
                    + "be refused; scripts/api-token creates one");
            return;
        }
        StringBuilder names = new StringBuilder();
        for (Entry e : entries) {
            names.append(names.length() == 0 ? "" : ", ").append(e.known().name()).append(" (")
                    .append(e.known().role().name().toLowerCase()).append(')');
        }
        LOG.infof("API tokens configured: %s", names);
    }

    /** The configured token whose digest equals the presented token's, if any. */
    public Optional<Known> match(String presented) {
        byte[] sha256 = sha256(presented);
        Known found = null;
        // Every digest is compared, in constant time each, so timing tells nothing about which one was close.
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.sha256(), sha256) && found == null) {
                found = e.known();
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * The configured token named {@code name}, if its digest is still {@code sha256Hex}: what a dashboard
     * session opened with that token needs to go on (a removed or rotated token ends its sessions).
     */
    public Optional<Known> stillConfigured(String name, String sha256Hex) {
        byte[] digest = HexFormat.of().parseHex(sha256Hex);
        return entries.stream().filter(e -> e.known().name().equals(name) && MessageDigest.isEqual(e.sha256(), digest))
                .map(Entry::known).findFirst();
    }

    static String sha256Hex(String value) {
        return HexFormat.of().formatHex(sha256(value));
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
