package io.cyclefleet.auth;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The dashboard's session cookie: a random session id ({@link DashboardSessions}) opened with the API token an
 * operator or viewer pasted at /dashboard/login, kept HttpOnly and SameSite=Strict (Secure over HTTPS, also
 * behind a proxy that says so in X-Forwarded-Proto), so page scripts never see it. The token itself stays
 * with the person who pasted it.
 */
public final class DashboardSession {

    public static final String COOKIE = "cyclefleet_session";
    /** Writes authenticated by the cookie must carry this header (see {@link BearerTokenMechanism}). */
    public static final String CSRF_HEADER = "X-Cyclefleet-Dashboard";
    public static final String PAGES = "/dashboard";
    static final Duration LIFETIME = Duration.ofHours(12);

    private DashboardSession() {
    }

    /** The cookie's session id, if the request may be authenticated by it; null otherwise. */
    static String sessionId(RoutingContext context) {
        Cookie c = context.request().getCookie(COOKIE);
        if (c == null || c.getValue().isEmpty() || isOpen(context.normalizedPath())) {
            return null; // the login page stays reachable with a stale cookie, instead of sending itself to itself
        }
        HttpMethod m = context.request().method();
        boolean safe = m == HttpMethod.GET || m == HttpMethod.HEAD;
        return safe || context.request().getHeader(CSRF_HEADER) != null ? c.getValue() : null;
    }

    /** Pages and files that need no session (the permission "dashboard-open" in application.properties). */
    static boolean isOpen(String path) {
        return path.equals(PAGES + "/login") || path.equals(PAGES + "/logout") || path.startsWith(PAGES + "/assets/");
    }

    static boolean isPage(RoutingContext context) {
        String path = context.normalizedPath();
        return context.request().method() == HttpMethod.GET && (path.equals(PAGES) || path.startsWith(PAGES + "/"));
    }

    /** Sends a browser without a valid session to the login page, then back where it was going. */
    static void toLogin(RoutingContext context) {
        String back = context.request().uri();
        boolean rejected = context.request().getCookie(COOKIE) != null;
        context.response().setStatusCode(303)
                .putHeader("Location", PAGES + "/login?next=" + URLEncoder.encode(back, StandardCharsets.UTF_8)
                        + (rejected ? "&expired=1" : ""))
                .end();
    }

    /** The Set-Cookie value that carries session {@code id} (or clears the cookie, for null). */
    public static String setCookie(String id, boolean secure) {
        Cookie c = Cookie.cookie(COOKIE, id == null ? "" : id).setPath("/").setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT).setSecure(secure)
                .setMaxAge(id == null ? 0 : LIFETIME.toSeconds());
        return c.encode();
    }

    /**
     * Whether the browser reached us over HTTPS: directly, or through a TLS-terminating proxy or ingress that
     * says so in X-Forwarded-Proto. Trusting the header is safe here: a forged "https" only makes the cookie
     * stricter.
     */
    public static boolean overHttps(String scheme, String forwardedProto) {
        String proto = forwardedProto == null ? "" : forwardedProto.split(",")[0].trim();
        return "https".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(proto);
    }
}
