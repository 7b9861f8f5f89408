package io.cyclefleet.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Turns a dashboard session into the identity of the API token it was opened with: the same principal and
 * roles a bearer request with that token gets. The lookup reads Postgres, so it runs off the I/O thread.
 */
@ApplicationScoped
public class DashboardSessionIdentityProvider implements IdentityProvider<DashboardSessionAuthenticationRequest> {

    private final DashboardSessions sessions;

    public DashboardSessionIdentityProvider(DashboardSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Class<DashboardSessionAuthenticationRequest> getRequestType() {
        return DashboardSessionAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(DashboardSessionAuthenticationRequest request, AuthenticationRequestContext context) {
        return context.runBlocking(() -> sessions.find(request.sessionId()).map(ApiTokenIdentityProvider::identity)
                .orElseThrow(() -> new AuthenticationFailedException("no such dashboard session, or it has ended")));
    }
}
