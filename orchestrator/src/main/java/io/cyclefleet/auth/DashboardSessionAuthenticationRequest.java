package io.cyclefleet.auth;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** A dashboard session id from the cookie, on its way to {@link DashboardSessionIdentityProvider}. */
public final class DashboardSessionAuthenticationRequest extends BaseAuthenticationRequest {

    private final String sessionId;

    public DashboardSessionAuthenticationRequest(String sessionId) {
        this.sessionId = sessionId;
    }

    String sessionId() {
        return sessionId;
    }

    @Override
    public String toString() {
        return "DashboardSessionAuthenticationRequest[session=<hidden>]";
    }
}
