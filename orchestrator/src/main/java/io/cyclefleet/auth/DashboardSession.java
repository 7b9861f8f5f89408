package io.cyclefleet.auth;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The dashboard's session: the API token an operator or viewer pasted at /dashboard/login, kept in an
 * HttpOnly, SameSite=Strict cookie (Secure behind HTTPS), so page scripts never see it. The token is checked
 * on every request exactly as a bearer token is; nothing about it is stored on the server.
 */
public final class DashboardSession {

    public static final String COOKIE = "cyclefleet_session";
    /** Writes authenticated by the cookie must carry this header (see {@link BearerTokenMechanism}). */
    public static final String CSRF_HEADER = "X-Cyclefleet-Dashboard";
    public static final String PAGES = "/dashboard";
    static final Duration LIFETIME = Duration.ofHours(12);

    private DashboardSession() {
    }

    /** The cookie's token, if the request may be authenticated by it; null otherwise. */
    static String token(RoutingContext context) {
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

    /** The Set-Cookie value that starts a session with {@code token} (or ends it, for null). */
    public static String setCookie(String token, boolean secure) {
        Cookie c = Cookie.cookie(COOKIE, token == null ? "" : token).setPath("/").setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT).setSecure(secure)
                .setMaxAge(token == null ? 0 : LIFETIME.toSeconds());
        return c.encode();
    }
}
