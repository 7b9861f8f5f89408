package io.cyclefleet.dashboard;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.auth.DashboardSession;
import io.cyclefleet.support.Db;
import io.cyclefleet.support.OperatorTokenByDefault;
import io.cyclefleet.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard's session cookie: who gets in, what a cookie may do, and that pages escape what users wrote. */
@QuarkusTest
class DashboardAccessTest {

    private static final String CSRF = DashboardSession.CSRF_HEADER;

    @BeforeEach
    void noDefaultToken() {
        OperatorTokenByDefault.remove(); // these requests carry only the cookie or headers they set
    }

    /** Signs in through the login form; returns the session id the cookie carries. */
    private static String session(String token) {
        Response r = given().redirects().follow(false).formParam("token", token).post("/dashboard/login");
        assertEquals(303, r.statusCode(), r.asString());
        return r.getCookie(DashboardSession.COOKIE);
    }

    @Test
    void signingInSetsAStrictHttpOnlyCookieWithASessionIdAndAWrongTokenDoesNot() {
        Response ok = given().redirects().follow(false).formParam("token", TestTokens.OPERATOR).formParam("next", "/dashboard/cycles")
                .post("/dashboard/login");
        assertEquals(303, ok.statusCode());
        assertEquals("/dashboard/cycles", URI.create(ok.header("Location")).getPath());
        String cookie = ok.header("Set-Cookie");
        String attributes = cookie.toLowerCase(Locale.ROOT);
        assertTrue(attributes.contains("; httponly") && attributes.contains("; samesite=strict") && attributes.contains("; path=/"), cookie);
        assertFalse(attributes.contains("; secure"), "plain HTTP without a proxy saying otherwise: " + cookie);
        String id = ok.getCookie(DashboardSession.COOKIE);
        assertFalse(cookie.contains(TestTokens.OPERATOR), "the cookie carries a session id, never the token: " + cookie);
        assertTrue(id.length() >= 43, id);
        // only the id's digest is stored, so the table yields no usable cookie
        assertEquals(0, Db.count("select count(*) from dashboard_session where id_sha256 = ? or token_sha256 = ?", id, TestTokens.OPERATOR));
        assertEquals(1, Db.count("select count(*) from dashboard_session where id_sha256 = encode(sha256(convert_to(?, 'UTF8')), 'hex')"
                + " and expires_at > now() + interval '11 hours'", id));

        Response bad = given().redirects().follow(false).formParam("token", TestTokens.WRONG).post("/dashboard/login");
        assertEquals(401, bad.statusCode());
        assertEquals(null, bad.header("Set-Cookie"));
        assertFalse(bad.asString().contains(TestTokens.WRONG), "the page never echoes a token");
    }

    @Test
    void behindAnHttpsProxyTheCookieIsSecure() {
        Response r = given().redirects().follow(false).header("X-Forwarded-Proto", "https").formParam("token", TestTokens.VIEWER)
                .post("/dashboard/login");
        assertEquals(303, r.statusCode());
        assertTrue(r.header("Set-Cookie").toLowerCase(Locale.ROOT).contains("; secure"), r.header("Set-Cookie"));
    }

    @Test
    void signingOutEndsTheSessionOnTheServer() {
        String id = session(TestTokens.OPERATOR);
        given().redirects().follow(false).cookie(DashboardSession.COOKIE, id).get("/dashboard/cycles").then().statusCode(200);
        Response out = given().redirects().follow(false).cookie(DashboardSession.COOKIE, id).post("/dashboard/logout");
        assertEquals(303, out.statusCode());
        assertTrue(out.header("Set-Cookie").contains("Max-Age=0"), out.header("Set-Cookie"));
        // a copy of the cookie kept from before no longer opens anything
        given().redirects().follow(false).cookie(DashboardSession.COOKIE, id).get("/dashboard/cycles").then().statusCode(303);
        given().cookie(DashboardSession.COOKIE, id).header(CSRF, "1").post("/api/v1/cycles/" + UUID.randomUUID() + "/cancel")
                .then().statusCode(401);
    }

    @Test
    void anExpiredSessionOrOneWhoseTokenChangedOpensNothing() {
        String expired = session(TestTokens.VIEWER);
        String rotated = session(TestTokens.VIEWER);
        Db.update("update dashboard_session set expires_at = now() - interval '1 second'"
                + " where id_sha256 = encode(sha256(convert_to(?, 'UTF8')), 'hex')", expired);
        // as if the token had been rotated in the configuration since the session was opened
        Db.update("update dashboard_session set token_sha256 = repeat('0', 64) where id_sha256 = encode(sha256(convert_to(?, 'UTF8')), 'hex')",
                rotated);
        for (String id : List.of(expired, rotated, TestTokens.VIEWER)) { // the raw token is no session id either
            Response r = given().redirects().follow(false).cookie(DashboardSession.COOKIE, id).get("/dashboard");
            assertEquals(303, r.statusCode(), id);
            assertTrue(r.header("Location").contains("expired=1"), r.header("Location"));
        }
        // signing in again drops the expired row
        session(TestTokens.VIEWER);
        assertEquals(0, Db.count("select count(*) from dashboard_session where expires_at < now()"));
    }

    @Test
    void nextNeverLeavesTheDashboard() {
        for (String next : List.of("https://evil.example/", "//evil.example/x", "/api/v1/cycles", "/dashboard/login", "/\\evil", "/dashboard/<x y>")) {
            Response r = given().redirects().follow(false).formParam("token", TestTokens.VIEWER).formParam("next", next)
                    .post("/dashboard/login");
            assertEquals("/dashboard", URI.create(r.header("Location")).getPath(), next);
        }
    }

    @Test
    void withoutASessionPagesGoToTheLoginAndTheApiStillAnswers401() {
        Response r = given().redirects().follow(false).get("/dashboard/incidents?status=open");
        assertEquals(303, r.statusCode());
        assertTrue(r.header("Location").startsWith("/dashboard/login?next=%2Fdashboard%2Fincidents%3Fstatus%3Dopen"), r.header("Location"));
        given().get("/api/v1/cycles").then().statusCode(401).header("Content-Type", containsString("application/json"));
        given().get("/dashboard/assets/dashboard.css").then().statusCode(200);
    }

    @Test
    void aStaleCookieLeadsToTheLoginPageNotIntoALoop() {
        Response r = given().redirects().follow(false).cookie(DashboardSession.COOKIE, TestTokens.WRONG).get("/dashboard");
        assertEquals(303, r.statusCode());
        assertTrue(r.header("Location").contains("expired=1"), r.header("Location"));
        Response login = given().redirects().follow(false).cookie(DashboardSession.COOKIE, TestTokens.WRONG).get(r.header("Location"));
        assertEquals(200, login.statusCode());
        assertTrue(login.header("Set-Cookie").contains("Max-Age=0"), "the stale cookie is cleared");
    }

    @Test
    void aCookieAloneCannotWriteOnlyWithTheDashboardsHeaderAndTheRole() {
        UUID missing = UUID.randomUUID();
        // a cross-site form would send the cookie but cannot add the header: anonymous, refused
        given().cookie(DashboardSession.COOKIE, session(TestTokens.OPERATOR)).post("/api/v1/cycles/" + missing + "/cancel")
                .then().statusCode(401);
        // the dashboard's own request: authenticated, reaches the endpoint (404: no such cycle)
        given().cookie(DashboardSession.COOKIE, session(TestTokens.OPERATOR)).header(CSRF, "1").post("/api/v1/cycles/" + missing + "/cancel")
                .then().statusCode(404);
        // a viewer's session may read but not act
        given().cookie(DashboardSession.COOKIE, session(TestTokens.VIEWER)).header(CSRF, "1").post("/api/v1/cycles/" + missing + "/cancel")
                .then().statusCode(403);
        given().cookie(DashboardSession.COOKIE, session(TestTokens.VIEWER)).get("/dashboard/cycles").then().statusCode(200)
                .body(containsString("(viewer)"));
    }

    @Test
    void whatOperatorsWroteIsEscaped() {
        String name = "<script>alert('x')</script>";
        UUID id = given().header("Authorization", TestTokens.bearer(TestTokens.OPERATOR)).contentType("application/json")
                .body(Map.of("name", name, "steps", List.of(Map.of("key", "a", "kind", "noop", "queue", "dash-escape"))))
                .post("/api/v1/cycles").then().statusCode(202).extract().<String>path("id").transform(UUID::fromString);
        given().cookie(DashboardSession.COOKIE, session(TestTokens.OPERATOR)).get("/dashboard/cycles/" + id).then().statusCode(200)
                .body(not(containsString(name)), containsString("&lt;script&gt;"));
        given().cookie(DashboardSession.COOKIE, session(TestTokens.OPERATOR)).get("/dashboard/cycles").then().statusCode(200)
                .body(not(containsString(name)));
        given().header("Authorization", TestTokens.bearer(TestTokens.OPERATOR)).post("/api/v1/cycles/" + id + "/cancel")
                .then().statusCode(200);
    }

    @Test
    void anUnknownCycleIsA404AndAMalformedIdA400() {
        given().cookie(DashboardSession.COOKIE, session(TestTokens.VIEWER)).get("/dashboard/cycles/" + UUID.randomUUID()).then().statusCode(404);
        given().cookie(DashboardSession.COOKIE, session(TestTokens.VIEWER)).get("/dashboard/cycles/not-a-uuid").then().statusCode(400);
    }
}
