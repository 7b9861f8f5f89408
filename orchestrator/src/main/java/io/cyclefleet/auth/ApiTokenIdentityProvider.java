package io.cyclefleet.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Turns a presented API token into an identity: the principal is the token's configured name, the roles
 * those of its configured role (an operator is a viewer too). Hashing is cheap, so this runs on the I/O thread.
 */
@ApplicationScoped
public class ApiTokenIdentityProvider implements IdentityProvider<ApiTokenAuthenticationRequest> {

    private static final Logger LOG = Logger.getLogger(ApiTokenIdentityProvider.class);

    private final ApiTokens tokens;

    public ApiTokenIdentityProvider(ApiTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Class<ApiTokenAuthenticationRequest> getRequestType() {
        return ApiTokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiTokenAuthenticationRequest request, AuthenticationRequestContext context) {
        return tokens.match(request.token())
                .map(known -> Uni.createFrom().item(identity(known)))
                .orElseGet(() -> {
                    // Never the token: only that one was refused.
                    LOG.debug("refused a bearer token that matches no configured API token");
                    return Uni.createFrom().failure(new AuthenticationFailedException("unknown API token"));
                });
    }

    /** The identity of a configured token: its name as the principal, the roles its role grants. */
    static SecurityIdentity identity(ApiTokens.Known known) {
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(known.name()))
                .addRoles(known.role().grants())
                .build();
    }
}
