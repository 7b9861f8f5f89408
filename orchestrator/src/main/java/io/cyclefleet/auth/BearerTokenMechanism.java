package io.cyclefleet.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.api.ApiError;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * {@code Authorization: Bearer <token>}: the token is checked by {@link ApiTokenIdentityProvider} against the
 * configured digests. No header means an anonymous request (refused by the HTTP permissions wherever a
 * role is needed); a wrong token fails authentication. Either way the answer is 401 with a Bearer
 * challenge and an {@link ApiError} body — except for a page of the dashboard, which is sent to its login.
 *
 * <p>The dashboard's browser sends its session cookie ({@link DashboardSession}) instead of the header; the
 * session stands for the token it was opened with. A cookie rides along on any request the browser makes,
 * including one another site triggers;
 * so a cookie authenticates a write (any method but GET/HEAD) only together with the
 * {@value DashboardSession#CSRF_HEADER} header, which a cross-site form cannot send and cross-site scripts
 * cannot add without a CORS preflight this server never grants. The cookie is also SameSite=Strict.
 */
@ApplicationScoped
public class BearerTokenMechanism implements HttpAuthenticationMechanism {

    static final String REALM = "Bearer realm=\"cyclefleet\"";
    private static final String SCHEME = "Bearer";
    private static final String WWW_AUTHENTICATE = "WWW-Authenticate";

    private final ObjectMapper mapper;

    public BearerTokenMechanism(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        String token = bearerToken(context);
        if (token == null) {
            String session = DashboardSession.sessionId(context);
            if (session != null) {
                return identityProviderManager.authenticate(
                        HttpSecurityUtils.setRoutingContextAttribute(new DashboardSessionAuthenticationRequest(session), context));
            }
            // No credentials: anonymous; the permission check decides whether that is enough.
            return Uni.createFrom().nullItem();
        }
        if (token.isEmpty()) {
            return Uni.createFrom().failure(new AuthenticationFailedException("empty bearer token"));
        }
        return identityProviderManager.authenticate(
                HttpSecurityUtils.setRoutingContextAttribute(new ApiTokenAuthenticationRequest(token), context));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, WWW_AUTHENTICATE, challenge(context)));
    }

    /** The challenge with a JSON body, like every other error of the API. */
    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        HttpServerResponse response = context.response();
        if (!response.ended() && DashboardSession.isPage(context)) {
            DashboardSession.toLogin(context);
        } else if (!response.ended()) {
            ApiError body = bearerToken(context) != null
                    ? ApiError.of("unauthorized", "the bearer token is not a valid API token")
                    : ApiError.of("unauthorized", "an API token is required: send Authorization: Bearer <token>");
            response.setStatusCode(401)
                    .putHeader(WWW_AUTHENTICATE, challenge(context))
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(json(body));
        }
        return Uni.createFrom().item(Boolean.TRUE);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiTokenAuthenticationRequest.class, DashboardSessionAuthenticationRequest.class);
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.AUTHORIZATION, "bearer"));
    }

    /** RFC 6750: a presented but unusable token gets {@code error="invalid_token"}. */
    private static String challenge(RoutingContext context) {
        return bearerToken(context) != null ? REALM + ", error=\"invalid_token\"" : REALM;
    }

    /** The token of a Bearer Authorization header; "" for a Bearer header without one; null for no Bearer header. */
    static String bearerToken(RoutingContext context) {
        String header = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            return null;
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return null;
        }
        if (h.length() == SCHEME.length()) {
            return "";
        }
        return Character.isWhitespace(h.charAt(SCHEME.length())) ? h.substring(SCHEME.length()).trim() : null;
    }

    private String json(ApiError body) {
        try {
            return mapper.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
