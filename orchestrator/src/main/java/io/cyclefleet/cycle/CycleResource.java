package io.cyclefleet.cycle;

import io.cyclefleet.api.Actors;
import io.cyclefleet.api.ApiError;
import io.cyclefleet.api.ConflictException;
import io.cyclefleet.api.InvalidSpecException;
import io.cyclefleet.api.JsonBodies;
import io.cyclefleet.api.Page;
import io.cyclefleet.config.OrchestratorConfig;
import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.timeline.Timeline;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/v1/cycles")
@Produces(MediaType.APPLICATION_JSON)
public class CycleResource {

    static final int MAX_IDEMPOTENCY_KEY = 255;

    private final CycleService service;
    private final CycleQueries queries;
    private final JsonBodies bodies;
    private final OrchestratorConfig config;
    private final Timeline timeline;

    public CycleResource(CycleService service, CycleQueries queries, JsonBodies bodies, OrchestratorConfig config, Timeline timeline) {
        this.service = service;
        this.queries = queries;
        this.bodies = bodies;
        this.config = config;
        this.timeline = timeline;
    }

    /** 202 with the new cycle; with an Idempotency-Key seen before, 200 with the first cycle instead. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit a cycle", description = "Validated whole before anything is written; every problem is a "
            + "violation naming its JSON path (400). The spec format: docs/cycles.md.")
    @APIResponse(responseCode = "202", description = "accepted; Location names the cycle")
    @APIResponse(responseCode = "200", description = "an Idempotency-Key seen before: the first cycle")
    @APIResponse(responseCode = "400", description = "invalid spec: every violation, each naming its field")
    @APIResponse(responseCode = "409", description = "the Idempotency-Key was used with a different spec")
    public Response submit(@RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CycleSpec.class), examples = {
                    @ExampleObject(name = "dag", summary = "a DAG with a retried step", value = SpecExamples.DAG),
                    @ExampleObject(name = "gated", summary = "a quality gate before the deploy", value = SpecExamples.GATED),
                    @ExampleObject(name = "standard", summary = "the standard template with real kinds", value = SpecExamples.STANDARD),
                    @ExampleObject(name = "rollback-drill", summary = "a failing verification that rolls back",
                            value = SpecExamples.ROLLBACK_DRILL),
                    @ExampleObject(name = "approval-and-iteration", summary = "a risky step waiting for approval; iteration",
                            value = SpecExamples.APPROVAL_AND_ITERATION)})) String body, @HeaderParam("Idempotency-Key") String idempotencyKey, @Context UriInfo uri) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY)) {
            throw InvalidSpecException.of("Idempotency-Key", "must be 1.." + MAX_IDEMPOTENCY_KEY + " characters");
        }
        CycleSpec spec = bodies.read(body, CycleSpec.class);
        CycleStore.Submitted s = service.submit(spec, Optional.ofNullable(idempotencyKey));
        URI location = uri.getBaseUriBuilder().path("api/v1/cycles").path(s.id().toString()).build();
        return Response.status(s.created() ? 202 : 200).location(location)
                .entity(new CycleViews.Submitted(s.id(), s.created() ? "ACCEPTED" : "EXISTING", !s.created())).build();
    }

    @GET
    @Path("{id}")
    public Response get(@PathParam("id") String id) {
        UUID cycle = JsonBodies.uuid(id, "id");
        return queries.cycle(cycle).map(c -> Response.ok(c).build()).orElseGet(() -> notFound(cycle));
    }

    @GET
    public Page<CycleViews.CycleSummary> list(@QueryParam("status") String status, @QueryParam("limit") String limit,
                                              @QueryParam("after") String after) {
        Optional<String> st = Optional.ofNullable(status).filter(s -> !s.isBlank()).map(s -> s.toUpperCase(Locale.ROOT));
        if (st.isPresent() && Arrays.stream(CycleStatus.values()).noneMatch(v -> v.name().equals(st.get()))) {
            throw InvalidSpecException.of("status", "'" + status + "' is not one of " + Arrays.toString(CycleStatus.values()));
        }
        Optional<UUID> cursor = Optional.ofNullable(after).filter(a -> !a.isBlank()).map(a -> JsonBodies.uuid(a, "after"));
        return queries.list(st, cursor, JsonBodies.limit(limit, 50, config.limits().maxPageSize()));
    }

    /**
     * Cancels the cycle. Once it has started a deployment, it rolls back first (202, the cycle keeps running until the
     * rollback ends) unless {@code rollback=false}; a cycle already rolling back keeps doing so (409) unless
     * {@code rollback=false}, which stops the rollback too.
     */
    @POST
    @Path("{id}/cancel")
    public Response cancel(@PathParam("id") String id, @QueryParam("rollback") String rollback, @Context SecurityContext who) {
        UUID cycle = JsonBodies.uuid(id, "id");
        boolean rollBack = JsonBodies.bool(rollback, "rollback", true);
        return switch (service.cancel(cycle, Actors.of(who), rollBack)) {
            case NOT_FOUND -> notFound(cycle);
            case ALREADY_FINISHED -> throw new ConflictException("cycle " + cycle + " has already finished");
            case ALREADY_ROLLING_BACK -> throw new ConflictException("cycle " + cycle + " is rolling back; the rollback goes on. "
                    + "POST /api/v1/cycles/" + cycle + "/cancel?rollback=false stops it too (the target may then run the new version)");
            case ROLLING_BACK -> Response.accepted(queries.cycle(cycle).orElseThrow()).build();
            case CANCELLED -> Response.ok(queries.cycle(cycle).orElseThrow()).build();
        };
    }

    /** Reruns a FAILED or CANCELLED cycle from its unfinished steps, keeping what succeeded; 409 otherwise. */
    @POST
    @Path("{id}/retry")
    public Response retry(@PathParam("id") String id) {
        UUID cycle = JsonBodies.uuid(id, "id");
        return switch (service.retry(cycle)) {
            case NOT_FOUND -> notFound(cycle);
            case NOT_RETRYABLE -> throw new ConflictException("cycle " + cycle + " is not FAILED or CANCELLED; only those can be rerun");
            case RESTARTED -> Response.accepted(queries.cycle(cycle).orElseThrow()).build();
        };
    }

    /** Optional body of an approval: exactly the steps the operator saw waiting. */
    public record Approval(List<String> steps) {
    }

    /**
     * Lets a cycle waiting in AWAITING_APPROVAL run the steps it waits for; 409 when it waits for nothing.
     * With a body {@code {"steps": [...]}}, 409 unless those are exactly the waiting steps, so an approval
     * never covers a step that became ready after the operator looked.
     */
    @POST
    @Path("{id}/approve")
    public Response approve(@PathParam("id") String id, String body, @Context SecurityContext who) {
        UUID cycle = JsonBodies.uuid(id, "id");
        Optional<List<String>> steps = body == null || body.isBlank() ? Optional.empty()
                : Optional.ofNullable(bodies.read(body, Approval.class).steps());
        return decided(cycle, service.approve(cycle, Actors.of(who), steps));
    }

    /** Declines: the waiting cycle ends CANCELLED. */
    @POST
    @Path("{id}/reject")
    public Response reject(@PathParam("id") String id, @Context SecurityContext who) {
        UUID cycle = JsonBodies.uuid(id, "id");
        return decided(cycle, service.reject(cycle, Actors.of(who)));
    }

    private Response decided(UUID cycle, CycleStore.ApprovalResult r) {
        return switch (r) {
            case NOT_FOUND -> notFound(cycle);
            case NOT_AWAITING -> throw new ConflictException("cycle " + cycle + " is not AWAITING_APPROVAL");
            case DONE -> Response.ok(queries.cycle(cycle).orElseThrow()).build();
        };
    }

    @GET
    @Path("{id}/events")
    public Response events(@PathParam("id") String id, @QueryParam("after") String after, @QueryParam("limit") String limit) {
        UUID cycle = JsonBodies.uuid(id, "id");
        if (!queries.exists(cycle)) {
            return notFound(cycle);
        }
        Long from = null;
        if (after != null && !after.isBlank()) {
            try {
                from = Long.parseLong(after.trim());
            } catch (NumberFormatException e) {
                throw InvalidSpecException.of("after", "must be an event id, got '" + after + "'");
            }
        }
        return Response.ok(timeline.events(cycle, from, JsonBodies.limit(limit, 200, 1000))).build();
    }

    private static Response notFound(UUID id) {
        return Response.status(404).type(MediaType.APPLICATION_JSON).entity(ApiError.of("not found", "no cycle " + id)).build();
    }
}
