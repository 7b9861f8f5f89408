package io.cyclefleet.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.api.ApiError;
import io.quarkus.security.ForbiddenException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A valid token without the role a request needs fails the routing context with a {@link ForbiddenException};
 * this answers it as 403 with an {@link ApiError} body instead of Quarkus' empty one. (401s get their
 * body from {@link BearerTokenMechanism#sendChallenge}.)
 */
@ApplicationScoped
public class ForbiddenResponses {

    void register(@Observes Router router, ObjectMapper mapper) {
        String body;
        try {
            body = mapper.writeValueAsString(ApiError.of("forbidden",
                    "this API token's role does not allow this request; writes need the operator role"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        router.route().failureHandler(context -> {
            if (context.failure() instanceof ForbiddenException && !context.response().ended()) {
                context.response().setStatusCode(403)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .end(body);
            } else {
                context.next();
            }
        });
    }
}
