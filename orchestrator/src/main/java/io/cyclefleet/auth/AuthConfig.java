package io.cyclefleet.auth;

import io.smallrye.config.ConfigMapping;
import java.util.Map;
import java.util.Set;

/**
 * API tokens, by name: {@code cyclefleet.auth.tokens.<name>.sha256} (hex SHA-256 of the token, never the token
 * itself) and {@code cyclefleet.auth.tokens.<name>.role} ({@code operator} or {@code viewer}). As environment
 * variables: {@code CYCLEFLEET_AUTH_TOKENS_<NAME>_SHA256} and {@code CYCLEFLEET_AUTH_TOKENS_<NAME>_ROLE}.
 */
@ConfigMapping(prefix = "cyclefleet.auth")
public interface AuthConfig {

    Map<String, Token> tokens();

    interface Token {
        /** Hex SHA-256 of the token (64 hex digits); {@code scripts/api-token} prints a fresh pair. */
        String sha256();

        Role role();
    }

    enum Role {
        /** Submits, cancels, retries (and every other write); reads too. */
        OPERATOR,
        /** Reads only. */
        VIEWER;

        /** The role names the HTTP permissions check; an operator holds viewer as well. */
        public Set<String> grants() {
            return this == OPERATOR ? Set.of("operator", "viewer") : Set.of("viewer");
        }
    }
}
