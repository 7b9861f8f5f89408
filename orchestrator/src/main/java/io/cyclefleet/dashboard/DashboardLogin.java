package io.cyclefleet.dashboard;

import io.cyclefleet.auth.ApiTokens;
import io.cyclefleet.auth.DashboardSession;
import io.cyclefleet.auth.DashboardSessions;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import org.jboss.logging.Logger;

/**
 * Starts and ends a dashboard session. The token pasted here is checked like a bearer token and opens a
 * session in Postgres; the browser keeps only the session's random id. The token is never stored or logged
 * (only the configured name it matched).
 */
@Path("/dashboard")
public class DashboardLogin {

    private static final Logger LOG = Logger.getLogger(DashboardLogin.class);
    private static final String FORWARDED_PROTO = "X-Forwarded-Proto";

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance login(String next, String message);
    }

    private final ApiTokens tokens;
    private final DashboardSessions sessions;

    public DashboardLogin(ApiTokens tokens, DashboardSessions sessions) {
        this.tokens = tokens;
        this.sessions = sessions;
    }

    @GET
    @Path("login")
    @Produces(MediaType.TEXT_HTML)
    public Response form(@QueryParam("next") String next, @QueryParam("expired") String expired, @Context UriInfo uri,
                         @HeaderParam(FORWARDED_PROTO) String forwardedProto) {
        Response.ResponseBuilder page = Response.ok(Templates.login(safeNext(next),
                expired == null ? null : "Your session's token is no longer accepted; sign in again.").render());
        // a stale cookie is dropped so the browser stops presenting it
        return (expired == null ? page : page.header(HttpHeaders.SET_COOKIE,
                DashboardSession.setCookie(null, secure(uri, forwardedProto)))).build();
    }

    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.TEXT_HTML)
    public Response login(@FormParam("token") String token, @FormParam("next") String next, @Context UriInfo uri,
                          @HeaderParam(FORWARDED_PROTO) String forwardedProto) {
        String t = token == null ? "" : token.trim();
        var known = t.isEmpty() ? java.util.Optional.<ApiTokens.Known>empty() : tokens.match(t);
        if (known.isEmpty()) {
            return Response.status(401).type(MediaType.TEXT_HTML)
                    .entity(Templates.login(safeNext(next), "That is not a valid API token.").render()).build();
        }
        String session = sessions.open(known.get(), t);
        LOG.infof("dashboard session started for token '%s' (%s)", known.get().name(), known.get().role().name().toLowerCase());
        return Response.seeOther(URI.create(safeNext(next)))
                .header(HttpHeaders.SET_COOKIE, DashboardSession.setCookie(session, secure(uri, forwardedProto))).build();
    }

    /** Ends the session on the server too: a copy of the cookie taken before signing out no longer works. */
    @POST
    @Path("logout")
    public Response logout(@CookieParam(DashboardSession.COOKIE) String session, @Context UriInfo uri,
                           @HeaderParam(FORWARDED_PROTO) String forwardedProto) {
        if (session != null && !session.isEmpty()) {
            sessions.close(session);
        }
        return Response.seeOther(URI.create(DashboardSession.PAGES + "/login"))
                .header(HttpHeaders.SET_COOKIE, DashboardSession.setCookie(null, secure(uri, forwardedProto))).build();
    }

    /** Only a page of the dashboard itself: never an open redirect to another site, nor a Location that is no URI. */
    static String safeNext(String next) {
        if (next == null || !next.startsWith(DashboardSession.PAGES) || next.startsWith(DashboardSession.PAGES + "/login")
                || next.contains("//") || next.contains("\\")) {
            return DashboardSession.PAGES;
        }
        try {
            URI.create(next);
            return next;
        } catch (IllegalArgumentException e) {
            return DashboardSession.PAGES;
        }
    }

    private static boolean secure(UriInfo uri, String forwardedProto) {
        return DashboardSession.overHttps(uri.getBaseUri().getScheme(), forwardedProto);
    }
}
