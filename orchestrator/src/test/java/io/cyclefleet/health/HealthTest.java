package io.cyclefleet.health;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Liveness and readiness are open, and readiness covers the two stores the orchestrator needs. */
@QuarkusTest
class HealthTest {

    @Test
    void readinessChecksPostgresAndRedisAndNeedsNoToken() {
        JsonPath ready = given().header("Authorization", "").get("/q/health/ready").then().statusCode(200).extract().jsonPath();
        assertEquals("UP", ready.getString("status"));
        List<String> checks = ready.getList("checks.name");
        assertTrue(checks.contains("redis"), checks.toString());
        assertTrue(checks.stream().anyMatch(c -> c.toLowerCase().contains("database")), checks.toString());
        given().header("Authorization", "").get("/q/health/live").then().statusCode(200);
    }
}
