package io.cyclefleet.dashboard;

import io.cyclefleet.auth.ApiTokens;
import io.cyclefleet.auth.DashboardSession;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
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
 * Starts and ends a dashboard session. The token pasted here is checked like a bearer token and kept only in
 * the browser's cookie; it is never logged (only the configured name it matched).
 */
@Path("/dashboard")
public class DashboardLogin {

    private static final Logger LOG = Logger.getLogger(DashboardLogin.class);

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance login(String next, String message);
    }

    private final ApiTokens tokens;

    public DashboardLogin(ApiTokens tokens) {
        this.tokens = tokens;
    }

    @GET
    @Path("login")
    @Produces(MediaType.TEXT_HTML)
    public Response form(@QueryParam("next") String next, @QueryParam("expired") String expired, @Context UriInfo uri) {
        Response.ResponseBuilder page = Response.ok(Templates.login(safeNext(next),
                expired == null ? null : "Your session's token is no longer accepted; sign in again.").render());
        // a stale cookie is dropped so the browser stops presenting it
        return (expired == null ? page : page.header(HttpHeaders.SET_COOKIE, DashboardSession.setCookie(null, secure(uri)))).build();
    }

    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.TEXT_HTML)
    public Response login(@FormParam("token") String token, @FormParam("next") String next, @Context UriInfo uri) {
        String t = token == null ? "" : token.trim();
        var known = t.isEmpty() ? java.util.Optional.<ApiTokens.Known>empty() : tokens.match(t);
        if (known.isEmpty()) {
            return Response.status(401).type(MediaType.TEXT_HTML)
                    .entity(Templates.login(safeNext(next), "That is not a valid API token.").render()).build();
        }
        LOG.infof("dashboard session started for token '%s' (%s)", known.get().name(), known.get().role().name().toLowerCase());
        return Response.seeOther(URI.create(safeNext(next)))
                .header(HttpHeaders.SET_COOKIE, DashboardSession.setCookie(t, secure(uri))).build();
    }

    @POST
    @Path("logout")
    public Response logout(@Context UriInfo uri) {
        return Response.seeOther(URI.create(DashboardSession.PAGES + "/login"))
                .header(HttpHeaders.SET_COOKIE, DashboardSession.setCookie(null, secure(uri))).build();
    }

    /** Only a page of the dashboard itself: never an open redirect to another site. */
    static String safeNext(String next) {
        if (next == null || !next.startsWith(DashboardSession.PAGES) || next.startsWith(DashboardSession.PAGES + "/login")
                || next.contains("//") || next.contains("\\")) {
            return DashboardSession.PAGES;
        }
        return next;
    }

    private static boolean secure(UriInfo uri) {
        return "https".equalsIgnoreCase(uri.getBaseUri().getScheme());
    }
}
