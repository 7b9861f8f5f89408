package io.cyclefleet.cycle;

import io.cyclefleet.api.ApiError;
import io.cyclefleet.api.InvalidSpecException;
import io.cyclefleet.api.JsonBodies;
import io.cyclefleet.db.Jdbc;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@code GET /api/v1/cycles/{id}/report}: the report the cycle's {@code report} step stored (table
 * {@code cycle_report}, the latest per format), as Markdown (default), JSON or CSV, chosen by {@code ?format=}
 * or else by the Accept header. Reads go straight to Postgres, the record; nothing is rendered here.
 */
@Path("/api/v1/cycles")
public class CycleReportResource {

    /** Format name → the content type it is served with, in order of preference when the Accept header ties. */
    static final Map<String, String> FORMATS = new LinkedHashMap<>();

    static {
        FORMATS.put("markdown", "text/markdown; charset=utf-8");
        FORMATS.put("json", MediaType.APPLICATION_JSON);
        FORMATS.put("csv", "text/csv; charset=utf-8");
    }

    private final DataSource ds;

    public CycleReportResource(DataSource ds) {
        this.ds = ds;
    }

    private record Stored(boolean cycleExists, String content, OffsetDateTime createdAt) {
    }

    @GET
    @Path("{id}/report")
    public Response report(@PathParam("id") String id, @QueryParam("format") String format,
                           @HeaderParam(HttpHeaders.ACCEPT) String accept) {
        UUID cycle = JsonBodies.uuid(id, "id");
        String chosen;
        if (format != null && !format.isBlank()) {
            chosen = format.trim().toLowerCase(Locale.ROOT);
            if (!FORMATS.containsKey(chosen)) {
                throw InvalidSpecException.of("format", "'" + format + "' is not one of " + String.join(", ", FORMATS.keySet()));
            }
        } else {
            Optional<String> negotiated = negotiate(accept);
            if (negotiated.isEmpty()) {
                return error(406, ApiError.of("not acceptable", "the report is available as text/markdown, application/json or "
                        + "text/csv (Accept: " + accept + "); or ask with ?format=markdown|json|csv"));
            }
            chosen = negotiated.get();
        }
        Stored stored = read(cycle, chosen);
        if (!stored.cycleExists()) {
            return error(404, ApiError.of("not found", "no cycle " + cycle));
        }
        if (stored.content() == null) {
            return error(404, ApiError.of("not found", "cycle " + cycle + " has no report yet: it is written when the cycle's "
                    + "report step runs"));
        }
        return Response.ok(stored.content()).type(FORMATS.get(chosen)).header("Vary", HttpHeaders.ACCEPT)
                .lastModified(Date.from(stored.createdAt().toInstant())).build();
    }

    private Stored read(UUID cycle, String format) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select r.content, r.created_at from cycle c left join cycle_report r on r.cycle_id = c.id and r.format = ?
                    where c.id = ?""")) {
                ps.setString(1, format);
                ps.setObject(2, cycle);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? new Stored(true, rs.getString(1), rs.getObject(2, OffsetDateTime.class))
                            : new Stored(false, null, null);
                }
            }
        });
    }

    /**
     * The format the Accept header prefers: the highest {@code q}, an exact type before {@code type/*} before
     * {@code *}{@code /*}, then the order of {@link #FORMATS}. No header, or only wildcards: Markdown. Empty
     * when it accepts none of the three.
     */
    static Optional<String> negotiate(String accept) {
        if (accept == null || accept.isBlank()) {
            return Optional.of("markdown");
        }
        String best = null;
        double bestQ = 0;
        int bestSpecificity = -1;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].trim().toLowerCase(Locale.ROOT);
            double q = 1;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim();
                if (p.startsWith("q=") || p.startsWith("Q=")) {
                    try {
                        q = Double.parseDouble(p.substring(2).trim());
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            for (Map.Entry<String, String> f : FORMATS.entrySet()) {
                String offered = f.getValue().split(";")[0];
                int specificity = type.equals(offered) ? 2
                        : type.endsWith("/*") && offered.startsWith(type.substring(0, type.length() - 1)) ? 1
                        : type.equals("*/*") || type.equals("*") ? 0 : -1;
                if (specificity < 0 || q <= 0) {
                    continue;
                }
                if (q > bestQ || (q == bestQ && specificity > bestSpecificity)) {
                    best = f.getKey();
                    bestQ = q;
                    bestSpecificity = specificity;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static Response error(int status, ApiError body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
