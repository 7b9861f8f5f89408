package io.cyclefleet.incident;

import io.cyclefleet.api.Actors;
import io.cyclefleet.api.ApiError;
import io.cyclefleet.api.ConflictException;
import io.cyclefleet.api.InvalidSpecException;
import io.cyclefleet.api.JsonBodies;
import io.cyclefleet.api.Page;
import io.cyclefleet.config.OrchestratorConfig;
import io.cyclefleet.timeline.Timeline;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

@Path("/api/v1/incidents")
@Produces(MediaType.APPLICATION_JSON)
public class IncidentResource {

    static final Set<String> STATUSES = Set.of("open", "acknowledged", "resolved");

    private final IncidentQueries queries;
    private final IncidentStore store;
    private final Timeline timeline;
    private final OrchestratorConfig config;
    private final IncidentConfig incidents;

    public IncidentResource(IncidentQueries queries, IncidentStore store, Timeline timeline, OrchestratorConfig config,
                            IncidentConfig incidents) {
        this.queries = queries;
        this.store = store;
        this.timeline = timeline;
        this.config = config;
        this.incidents = incidents;
    }

    @GET
    public Page<IncidentViews.Summary> list(@QueryParam("status") String status, @QueryParam("limit") String limit,
                                            @QueryParam("after") String after) {
        Optional<String> st = Optional.ofNullable(status).filter(s -> !s.isBlank()).map(s -> s.toLowerCase(Locale.ROOT));
        if (st.isPresent() && !STATUSES.contains(st.get())) {
            throw InvalidSpecException.of("status", "'" + status + "' is not one of open, acknowledged, resolved");
        }
        Optional<UUID> cursor = Optional.ofNullable(after).filter(a -> !a.isBlank()).map(a -> JsonBodies.uuid(a, "after"));
        return queries.list(st, cursor, JsonBodies.limit(limit, 50, config.limits().maxPageSize()));
    }

    @GET
    @Path("{id}")
    public Response get(@PathParam("id") String id) {
        UUID incident = JsonBodies.uuid(id, "id");
        return queries.incident(incident).map(i -> Response.ok(i).build()).orElseGet(() -> notFound(incident));
    }

    /** The report an on-call engineer reads: Markdown. */
    @GET
    @Path("{id}/report")
    @Produces({"text/markdown", MediaType.APPLICATION_JSON})
    public Response report(@PathParam("id") String id) {
        UUID incident = JsonBodies.uuid(id, "id");
        return queries.incident(incident)
                .map(i -> Response.ok(IncidentReport.render(i, timeline.latestEvents(i.latestCycleId(), 1000),
                        incidents.publicUrl().replaceAll("/+$", ""))).type("text/markdown; charset=utf-8").build())
                .orElseGet(() -> notFound(incident));
    }

    @POST
    @Path("{id}/ack")
    public Response acknowledge(@PathParam("id") String id, @Context SecurityContext who) {
        UUID incident = JsonBodies.uuid(id, "id");
        return answer(incident, store.acknowledge(incident, Actors.of(who)), "it is resolved");
    }

    @POST
    @Path("{id}/resolve")
    public Response resolve(@PathParam("id") String id, @Context SecurityContext who) {
        UUID incident = JsonBodies.uuid(id, "id");
        return answer(incident, store.resolve(incident, Actors.of(who)), "it is resolved");
    }

    private Response answer(UUID incident, IncidentStore.Transition t, String conflict) {
        return switch (t) {
            case NOT_FOUND -> notFound(incident);
            case CONFLICT -> throw new ConflictException("incident " + incident + " cannot change: " + conflict);
            case DONE, UNCHANGED -> Response.ok(queries.incident(incident).orElseThrow()).build();
        };
    }

    private static Response notFound(UUID id) {
        return Response.status(404).type(MediaType.APPLICATION_JSON).entity(ApiError.of("not found", "no incident " + id)).build();
    }
}
