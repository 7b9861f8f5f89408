package io.cyclefleet.support;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Talks to the orchestrator under test the way an operator would: over HTTP. */
public final class Cycles {

    public static final Set<String> TERMINAL = Set.of("SUCCEEDED", "ROLLED_BACK", "FAILED", "CANCELLED");

    private Cycles() {
    }

    public static UUID submit(Map<String, Object> spec) {
        String id = given().contentType(ContentType.JSON).body(spec).post("/api/v1/cycles")
                .then().statusCode(202).extract().path("id");
        return UUID.fromString(id);
    }

    public static JsonPath get(UUID id) {
        return given().get("/api/v1/cycles/" + id).then().statusCode(200).extract().jsonPath();
    }

    public static JsonPath awaitEnd(UUID id, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(200))
                .until(() -> TERMINAL.contains(get(id).getString("status")));
        return get(id);
    }

    /** From attempt {@code failed}'s failure to the next attempt's start (the cycle's one retried task), on Postgres' clock. */
    public static long retryWaitMillis(UUID cycle, int failed) {
        return Db.count("""
                select (extract(epoch from (select at from cycle_timeline where cycle_id = ? and type = 'task.running' and attempt = ?)
                                          - (select at from cycle_timeline where cycle_id = ? and type = 'task.retry_wait' and attempt = ?)) * 1000)::bigint""",
                cycle, failed + 1, cycle, failed);
    }

    public static Map<String, Object> spec(String name, List<Map<String, Object>> steps) {
        return Map.of("name", name, "steps", steps);
    }

    public static Map<String, Object> step(String key, String kind, Map<String, Object> params, String... dependsOn) {
        return Map.of("key", key, "kind", kind, "params", params, "dependsOn", List.of(dependsOn));
    }

    /** {@code n} independent sleep steps named prefix0..prefix(n-1). */
    public static List<Map<String, Object>> sleeps(String prefix, int n, String duration) {
        List<Map<String, Object>> steps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            steps.add(step(prefix + i, "sleep", Map.of("duration", duration)));
        }
        return steps;
    }
}
