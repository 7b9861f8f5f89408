package io.cyclefleet.api;

import io.cyclefleet.db.StoreException;
import jakarta.persistence.PersistenceException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.hibernate.exception.JDBCConnectionException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves the API as an {@link ApiError}: 4xx for the caller's mistakes, 503 when a store is down. */
public class ApiExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

    @ServerExceptionMapper
    public Response invalid(InvalidSpecException e) {
        return json(400, new ApiError("invalid request", e.getMessage(), e.violations()));
    }

    @ServerExceptionMapper
    public Response conflict(ConflictException e) {
        return json(409, ApiError.of("conflict", e.getMessage()));
    }

    @ServerExceptionMapper
    public Response store(StoreException e) {
        LOG.warnf("database unavailable: %s", e.getMessage());
        return unavailable();
    }

    @ServerExceptionMapper
    public Response persistence(PersistenceException e) {
        if (e instanceof JDBCConnectionException || e.getCause() instanceof JDBCConnectionException) {
            LOG.warnf("database unavailable: %s", e.getMessage());
            return unavailable();
        }
        LOG.error("persistence failure", e);
        return json(500, ApiError.of("internal error", "the request could not be completed; see the orchestrator log"));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String reason = e.getResponse().getStatusInfo().getReasonPhrase();
        return json(status, ApiError.of(reason == null ? "error" : reason.toLowerCase(), e.getMessage()));
    }

    private static Response unavailable() {
        return Response.status(503).header("Retry-After", "5").type(MediaType.APPLICATION_JSON)
                .entity(ApiError.of("database unavailable", "PostgreSQL cannot be reached; retry later")).build();
    }

    private static Response json(int status, ApiError body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
