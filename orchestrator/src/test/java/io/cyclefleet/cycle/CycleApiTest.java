package io.cyclefleet.cycle;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.step;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Cycles;
import io.cyclefleet.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The cycle API without workers: tasks go to a queue nobody consumes, so their state is the API's alone. */
@QuarkusTest
class CycleApiTest {

    private static Map<String, Object> idleSpec(String name) {
        return spec(name, List.of(
                Map.of("key", "a", "kind", "noop", "queue", "nobody-listens"),
                Map.of("key", "b", "kind", "sleep", "queue", "nobody-listens", "params", Map.of("duration", "PT1S"),
                        "dependsOn", List.of("a"), "priority", "high",
                        "retry", Map.of("maxAttempts", 5, "backoff", "PT2S", "maxBackoff", "PT30S"), "timeout", "PT10S")));
    }

    @Test
    void submitReturns202WithLocationAndThePlannedDag() {
        Response r = given().contentType(ContentType.JSON).body(idleSpec("api-submit")).post("/api/v1/cycles");
        assertEquals(202, r.statusCode(), r.asString());
        String id = r.jsonPath().getString("id");
        assertTrue(r.header("Location").endsWith("/api/v1/cycles/" + id), r.header("Location"));

        JsonPath c = Cycles.get(UUID.fromString(id));
        assertEquals("api-submit", c.getString("name"));
        assertTrue(List.of("ACCEPTED", "RUNNING").contains(c.getString("status")));
        assertEquals("a", c.getString("tasks[0].key"));
        assertEquals("QUEUED", c.getString("tasks[0].status"));
        assertEquals("PENDING", c.getString("tasks[1].status"));
        assertEquals(List.of("a"), c.getList("tasks[1].dependsOn"));
        assertEquals(5, c.getInt("tasks[1].maxAttempts"));
        assertEquals("high", c.getString("tasks[1].priority"));
        assertEquals(1, c.getInt("taskCounts.QUEUED"));
    }

    @Test
    void idempotencyKeyReturnsTheFirstCycleAndRejectsADifferentSpec() {
        String key = "idem-" + UUID.randomUUID();
        String first = given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(idleSpec("idem"))
                .post("/api/v1/cycles").then().statusCode(202).extract().path("id");
        long cycles = Db.count("select count(*) from cycle");

        Response again = given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(idleSpec("idem")).post("/api/v1/cycles");
        assertEquals(200, again.statusCode());
        assertEquals(first, again.jsonPath().getString("id"));
        assertTrue(again.jsonPath().getBoolean("replayed"));

        given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(idleSpec("idem-changed"))
                .post("/api/v1/cycles").then().statusCode(409);
        assertEquals(cycles, Db.count("select count(*) from cycle"));
    }

    @Test
    void listIsPagedNewestFirstAndFiltersByStatus() {
        UUID a = Cycles.submit(idleSpec("page-a"));
        UUID b = Cycles.submit(idleSpec("page-b"));
        UUID c = Cycles.submit(idleSpec("page-c"));
        JsonPath page1 = given().get("/api/v1/cycles?limit=2").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(c.toString(), b.toString()), page1.getList("items.id"));
        String next = page1.getString("next");
        assertEquals(b.toString(), next);
        JsonPath page2 = given().get("/api/v1/cycles?limit=2&after=" + next).then().statusCode(200).extract().jsonPath();
        assertEquals(a.toString(), page2.getString("items[0].id"));

        given().post("/api/v1/cycles/" + a + "/cancel").then().statusCode(200);
        List<String> cancelled = given().get("/api/v1/cycles?status=cancelled&limit=200").then().statusCode(200)
                .extract().jsonPath().getList("items.id");
        assertTrue(cancelled.contains(a.toString()));
        assertTrue(!cancelled.contains(b.toString()));
    }

    @Test
    void cancelStopsEveryUnfinishedTaskOnceAndOnlyOnce() {
        UUID id = Cycles.submit(idleSpec("cancel-me"));
        JsonPath c = given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(200).extract().jsonPath();
        assertEquals("CANCELLED", c.getString("status"));
        assertEquals(List.of("CANCELLED", "CANCELLED"), c.getList("tasks.status"));
        assertNotNull(c.getString("finishedAt"));
        given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(409);
        given().post("/api/v1/cycles/" + UUID.randomUUID() + "/cancel").then().statusCode(404);
    }

    @Test
    void timelineListsEveryTransitionInOrder() {
        UUID id = Cycles.submit(idleSpec("timeline"));
        given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(200);
        JsonPath events = given().get("/api/v1/cycles/" + id + "/events").then().statusCode(200).extract().jsonPath();
        List<String> types = events.getList("items.type");
        assertEquals("cycle.accepted", types.get(0));
        assertTrue(types.containsAll(List.of("task.queued", "task.pending", "task.cancelled", "cycle.cancelled")), types.toString());
        assertEquals("cycle.cancelled", types.get(types.size() - 1));
        assertNull(events.getString("next"));
        JsonPath paged = given().get("/api/v1/cycles/" + id + "/events?limit=2").then().statusCode(200).extract().jsonPath();
        assertEquals(2, paged.getList("items").size());
        assertNotNull(paged.getString("next"));
    }

    @Test
    void unknownCycleIs404WithAJsonBody() {
        Response r = given().get("/api/v1/cycles/" + UUID.randomUUID());
        assertEquals(404, r.statusCode());
        assertEquals("not found", r.jsonPath().getString("error"));
        given().get("/api/v1/cycles/" + UUID.randomUUID() + "/events").then().statusCode(404);
    }

    @Test
    void unknownKindsAreListedInTheError() {
        Response r = given().contentType(ContentType.JSON).body(spec("x", List.of(step("a", "nope", Map.of())))).post("/api/v1/cycles");
        assertEquals(400, r.statusCode());
        String message = r.jsonPath().getString("violations[0].message");
        assertTrue(message.contains("noop") && message.contains("sleep") && message.contains("fail"), message);
    }
}
