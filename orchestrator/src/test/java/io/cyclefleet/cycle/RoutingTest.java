package io.cyclefleet.cycle;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.step;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cyclefleet.support.Cycles;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-kind routing: a step without a queue goes to the queue configured for its kind. */
@QuarkusTest
@TestProfile(RoutingTest.Routes.class)
class RoutingTest {

    public static class Routes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("cyclefleet.routes.sleep", "slow-lane");
        }
    }

    @Test
    void kindRouteAppliesUnlessTheStepNamesAQueue() {
        JsonPath c = Cycles.get(Cycles.submit(spec("routing", List.of(
                step("routed", "sleep", Map.of("duration", "PT1S")),
                Map.of("key", "explicit", "kind", "sleep", "queue", "mine", "params", Map.of("duration", "PT1S")),
                step("default", "noop", Map.of())))));
        assertEquals("slow-lane", c.getString("tasks.find { it.key == 'routed' }.queue"));
        assertEquals("mine", c.getString("tasks.find { it.key == 'explicit' }.queue"));
        assertEquals("default", c.getString("tasks.find { it.key == 'default' }.queue"));
        given().post("/api/v1/cycles/" + c.getString("id") + "/cancel").then().statusCode(200);
    }

    private static io.restassured.specification.RequestSpecification given() {
        return io.restassured.RestAssured.given();
    }
}
