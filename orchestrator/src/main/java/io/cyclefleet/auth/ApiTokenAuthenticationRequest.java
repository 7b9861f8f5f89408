package io.cyclefleet.auth;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** A bearer token presented on a request, on its way to {@link ApiTokenIdentityProvider}. */
public final class ApiTokenAuthenticationRequest extends BaseAuthenticationRequest {

    private final String token;

    public ApiTokenAuthenticationRequest(String token) {
        this.token = token;
    }

    String token() {
        return token;
    }

    @Override
    public String toString() {
        return "ApiTokenAuthenticationRequest[token=<hidden>]";
    }
}
