package io.cyclefleet.dashboard;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.auth.DashboardSession;
import io.cyclefleet.support.OperatorTokenByDefault;
import io.cyclefleet.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
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

    @Test
    void signingInSetsAStrictHttpOnlyCookieAndAWrongTokenDoesNot() {
        Response ok = given().redirects().follow(false).formParam("token", TestTokens.OPERATOR).formParam("next", "/dashboard/cycles")
                .post("/dashboard/login");
        assertEquals(303, ok.statusCode());
        assertEquals("/dashboard/cycles", java.net.URI.create(ok.header("Location")).getPath());
        String cookie = ok.header("Set-Cookie");
        assertTrue(cookie.startsWith(DashboardSession.COOKIE + "=" + TestTokens.OPERATOR), cookie);
        String attributes = cookie.toLowerCase(java.util.Locale.ROOT);
        assertTrue(attributes.contains("; httponly") && attributes.contains("; samesite=strict") && attributes.contains("; path=/"), cookie);

        Response bad = given().redirects().follow(false).formParam("token", TestTokens.WRONG).post("/dashboard/login");
        assertEquals(401, bad.statusCode());
        assertEquals(null, bad.header("Set-Cookie"));
        assertFalse(bad.asString().contains(TestTokens.WRONG), "the page never echoes a token");
    }

    @Test
    void nextNeverLeavesTheDashboard() {
        for (String next : List.of("https://evil.example/", "//evil.example/x", "/api/v1/cycles", "/dashboard/login", "/\\evil")) {
            Response r = given().redirects().follow(false).formParam("token", TestTokens.VIEWER).formParam("next", next)
                    .post("/dashboard/login");
            assertEquals("/dashboard", java.net.URI.create(r.header("Location")).getPath(), next);
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
        given().cookie(DashboardSession.COOKIE, TestTokens.OPERATOR).post("/api/v1/cycles/" + missing + "/cancel")
                .then().statusCode(401);
        // the dashboard's own request: authenticated, reaches the endpoint (404: no such cycle)
        given().cookie(DashboardSession.COOKIE, TestTokens.OPERATOR).header(CSRF, "1").post("/api/v1/cycles/" + missing + "/cancel")
                .then().statusCode(404);
        // a viewer's session may read but not act
        given().cookie(DashboardSession.COOKIE, TestTokens.VIEWER).header(CSRF, "1").post("/api/v1/cycles/" + missing + "/cancel")
                .then().statusCode(403);
        given().cookie(DashboardSession.COOKIE, TestTokens.VIEWER).get("/dashboard/cycles").then().statusCode(200)
                .body(containsString("(viewer)"));
    }

    @Test
    void whatOperatorsWroteIsEscaped() {
        String name = "<script>alert('x')</script>";
        UUID id = given().header("Authorization", TestTokens.bearer(TestTokens.OPERATOR)).contentType("application/json")
                .body(Map.of("name", name, "steps", List.of(Map.of("key", "a", "kind", "noop", "queue", "dash-escape"))))
                .post("/api/v1/cycles").then().statusCode(202).extract().<String>path("id").transform(UUID::fromString);
        given().cookie(DashboardSession.COOKIE, TestTokens.OPERATOR).get("/dashboard/cycles/" + id).then().statusCode(200)
                .body(not(containsString(name)), containsString("&lt;script&gt;"));
        given().cookie(DashboardSession.COOKIE, TestTokens.OPERATOR).get("/dashboard/cycles").then().statusCode(200)
                .body(not(containsString(name)));
        given().header("Authorization", TestTokens.bearer(TestTokens.OPERATOR)).post("/api/v1/cycles/" + id + "/cancel")
                .then().statusCode(200);
    }

    @Test
    void anUnknownCycleIsA404AndAMalformedIdA400() {
        given().cookie(DashboardSession.COOKIE, TestTokens.VIEWER).get("/dashboard/cycles/" + UUID.randomUUID()).then().statusCode(404);
        given().cookie(DashboardSession.COOKIE, TestTokens.VIEWER).get("/dashboard/cycles/not-a-uuid").then().statusCode(400);
    }
}
