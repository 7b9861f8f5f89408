package io.cyclefleet.auth;

import static io.cyclefleet.support.TestTokens.OPERATOR;
import static io.cyclefleet.support.TestTokens.VIEWER;
import static io.cyclefleet.support.TestTokens.WRONG;
import static io.cyclefleet.support.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.OperatorTokenByDefault;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 3: without a valid token the API answers 401, a viewer's token reads but gets 403 on writes, and
 * nothing a refused request carried is written. Health and metrics stay open. Tokens never reach the log.
 */
@QuarkusTest
class AccessControlTest {

    private static final String CYCLES = "/api/v1/cycles";
    private static final Map<String, Object> SPEC = Map.of("name", "access",
            "steps", List.of(Map.of("key", "a", "kind", "noop", "queue", "nobody-listens")));

    /** The support hook sends the operator's token by default; here every request says what it carries. */
    @BeforeEach
    void noDefaultToken() {
        OperatorTokenByDefault.remove();
    }

    private static RequestSpecification as(String token) {
        return given().header("Authorization", bearer(token));
    }

    private static long rows() {
        return Db.count("select count(*) from cycle") + Db.count("select count(*) from task");
    }

    private static void assertUnauthorized(Response r, String expectedChallenge) {
        assertEquals(401, r.statusCode(), r.asString());
        assertEquals(expectedChallenge, r.header("WWW-Authenticate"));
        assertEquals("unauthorized", r.jsonPath().getString("error"), r.asString());
    }

    @Test
    void withoutATokenEveryApiCallIs401WithABearerChallenge() {
        String challenge = "Bearer realm=\"cyclefleet\"";
        long before = rows();
        assertUnauthorized(given().contentType(ContentType.JSON).body(SPEC).post(CYCLES), challenge);
        assertEquals(before, rows());

        assertUnauthorized(given().get(CYCLES), challenge);
        assertUnauthorized(given().get("/api/v1/workers"), challenge);
        assertUnauthorized(given().post(CYCLES + "/" + UUID.randomUUID() + "/cancel"), challenge);
        // An endpoint nobody has written yet is covered too: 401, not 404.
        assertUnauthorized(given().get("/api/v1/not-yet-written"), challenge);
        // Another scheme is no bearer token.
        assertUnauthorized(given().header("Authorization", "Basic b3BlcmF0b3I6c2VjcmV0").get(CYCLES), challenge);
    }

    @Test
    void aWrongTokenIs401AndWritesNothing() {
        String challenge = "Bearer realm=\"cyclefleet\", error=\"invalid_token\"";
        long before = rows();
        assertUnauthorized(as(WRONG).contentType(ContentType.JSON).body(SPEC).post(CYCLES), challenge);
        assertEquals(before, rows());
        assertUnauthorized(as(WRONG).get(CYCLES), challenge);
        assertUnauthorized(given().header("Authorization", "Bearer ").get(CYCLES), challenge);
        // The digest of a token is not a token.
        assertUnauthorized(as("80109b5cda1e781e5849b86183cefa8a1229cd9ea5ac194ea6065d160bba5d67").get(CYCLES), challenge);
        String message = as(WRONG).get(CYCLES).jsonPath().getString("message");
        assertTrue(message.contains("not a valid API token"), message);
    }

    @Test
    void theViewerReadsButEveryWriteIs403AndWritesNothing() {
        as(VIEWER).get(CYCLES).then().statusCode(200);
        as(VIEWER).get("/api/v1/workers").then().statusCode(200);

        long before = rows();
        Response refused = as(VIEWER).contentType(ContentType.JSON).body(SPEC).post(CYCLES);
        assertEquals(403, refused.statusCode(), refused.asString());
        assertEquals("forbidden", refused.jsonPath().getString("error"));
        assertTrue(refused.contentType().startsWith("application/json"), refused.contentType());
        assertEquals(before, rows());

        String id = as(OPERATOR).contentType(ContentType.JSON).body(SPEC).post(CYCLES)
                .then().statusCode(202).extract().path("id");
        as(VIEWER).get(CYCLES + "/" + id).then().statusCode(200);
        as(VIEWER).post(CYCLES + "/" + id + "/cancel").then().statusCode(403);
        as(VIEWER).post(CYCLES + "/" + id + "/retry").then().statusCode(403);
        assertEquals(0, Db.count("select count(*) from cycle where id = ? and status = 'CANCELLED'", UUID.fromString(id)));
        assertEquals(0, Db.count("select count(*) from cycle_timeline where cycle_id = ? and type = 'cycle.cancelled'",
                UUID.fromString(id)));
    }

    @Test
    void theOperatorSubmitsReadsAndCancels() {
        long before = Db.count("select count(*) from cycle");
        Response r = as(OPERATOR).contentType(ContentType.JSON).body(SPEC).post(CYCLES);
        assertEquals(202, r.statusCode(), r.asString());
        assertEquals(before + 1, Db.count("select count(*) from cycle"));
        String id = r.jsonPath().getString("id");
        as(OPERATOR).get(CYCLES + "/" + id).then().statusCode(200);
        as(OPERATOR).post(CYCLES + "/" + id + "/cancel").then().statusCode(200);
        assertEquals(1, Db.count("select count(*) from cycle where id = ? and status = 'CANCELLED'", UUID.fromString(id)));
    }

    @Test
    void healthAndMetricsNeedNoToken() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        Response metrics = given().get("/q/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.asString().contains("jvm_"), "not the Prometheus scrape");
    }

    @Test
    void tokensNeverReachTheLog() throws IOException {
        // Refused and accepted requests with each token, so that whatever they log is in the file.
        as(WRONG).get(CYCLES).then().statusCode(401);
        as(VIEWER).contentType(ContentType.JSON).body(SPEC).post(CYCLES).then().statusCode(403);
        as(OPERATOR).get(CYCLES).then().statusCode(200);

        // The test profile writes the whole log (security debug included) to this file too, synchronously;
        // it starts afresh at each application start (rotate-on-boot).
        Path file = Path.of(ConfigProvider.getConfig().getValue("quarkus.log.file.path", String.class));
        String log = Files.readString(file);
        // The file is the log of this run: it has the start-up line naming the tokens and the refusal above.
        assertTrue(log.contains("API tokens configured: test-operator (operator), test-viewer (viewer)"), file.toString());
        assertTrue(log.contains("refused a bearer token that matches no configured API token"), file.toString());
        for (String secret : List.of(OPERATOR, VIEWER, WRONG,
                "80109b5cda1e781e5849b86183cefa8a1229cd9ea5ac194ea6065d160bba5d67",
                "8d96a6fc25d19f68ae9d1e6f80b0a3ee95a32705a2b3efe16566927e0766c838")) {
            assertFalse(log.contains(secret), "the log at " + file + " contains a token or its digest");
        }
    }
}
