package io.cyclefleet.cycle;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.support.Db;
import io.cyclefleet.task.TaskOutcome;
import io.cyclefleet.task.TaskStatus;
import io.cyclefleet.task.TaskStore;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The timeline (V15): a task's routine life is built from its row and written nowhere else; its first transition off
 * that path stores what it had so far, so a retried task's first attempt is still on the timeline after the second
 * overwrote the row's timestamps.
 */
@QuarkusTest
class TimelineTest {

    private static final String QUEUE = "timeline-only";

    @Inject
    TaskStore store;
    @Inject
    CycleAdvancer advancer;

    private static Delivery delivery(long task, int attempt) {
        return new Delivery(QUEUE, Priority.NORMAL, "0-" + attempt, task, attempt);
    }

    private static long taskOf(UUID cycle, String step) {
        return Db.count("select id from task where cycle_id = ? and step_key = ?", cycle, step);
    }

    private static TaskOutcome succeeded(long task, int attempt, UUID cycle) {
        return new TaskOutcome(task, attempt, cycle, TaskStatus.SUCCEEDED, "{}", null, null, null, null, TaskOutcome.Fault.NONE);
    }

    private void run(long task, int attempt, UUID cycle, String worker) {
        assertEquals(1, store.claim(worker, List.of(delivery(task, attempt)), Duration.ofMinutes(1)).size());
        assertEquals(1, store.complete(worker, List.of(succeeded(task, attempt, cycle))).accepted().size());
    }

    /** "step type attempt worker" for each task event of the cycle, from the API, in its order. */
    private static List<String> taskEvents(JsonPath page) {
        List<String> out = new ArrayList<>();
        List<Map<String, Object>> items = page.getList("items");
        for (Map<String, Object> e : items) {
            if (e.get("taskKey") != null) {
                out.add(e.get("taskKey") + " " + e.get("type") + " " + e.get("attempt") + " " + e.get("workerId"));
            }
        }
        return out;
    }

    private static JsonPath events(UUID cycle, String query) {
        return given().get("/api/v1/cycles/" + cycle + "/events" + query).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void aRoutineTaskWritesNoEventRowsAndTheTimelineShowsItsLifeFromTheRow() {
        UUID cycle = submit(spec("timeline-routine", List.of(
                Map.of("key", "a", "kind", "noop", "queue", QUEUE),
                Map.of("key", "b", "kind", "noop", "queue", QUEUE, "dependsOn", List.of("a")))));
        long a = taskOf(cycle, "a");
        long b = taskOf(cycle, "b");
        run(a, 1, cycle, "w-a");
        advancer.advance(List.of(cycle));
        run(b, 1, cycle, "w-b");

        assertEquals(0, Db.count("select count(*) from cycle_event where task_id in (?, ?)", a, b), "no stored rows for routine moves");
        assertEquals(0, Db.count("select count(*) from task where id in (?, ?) and history_stored", a, b));
        JsonPath all = events(cycle, "?limit=1000");
        // a and b were created at one instant: ordered by id, which for built events is -(4 × task id + n)
        assertEquals(List.of("b task.pending 1 null", "a task.queued 1 null", "a task.running 1 w-a", "a task.succeeded 1 w-a",
                "b task.queued 1 null", "b task.running 1 w-b", "b task.succeeded 1 w-b"), taskEvents(all));
        List<Map<String, Object>> items = all.getList("items");
        assertEquals("cycle.accepted", items.get(0).get("type"), "the cycle's creation comes before its tasks'");
        assertEquals(-4 * b, ((Number) items.get(1).get("id")).longValue(), "routine events have ids below zero");

        // paging by two gives the same timeline, whatever mix of stored and built events a page boundary falls on
        List<Object> paged = new ArrayList<>();
        String query = "?limit=2";
        for (int pages = 0; pages < 100; pages++) {
            JsonPath page = events(cycle, query);
            paged.addAll(page.getList("items.id"));
            String next = page.getString("next");
            if (next == null) {
                break;
            }
            query = "?limit=2&after=" + next;
        }
        assertEquals(all.getList("items.id"), paged);
        assertTrue(events(cycle, "?after=123456789").getList("items").isEmpty(), "after an event the cycle does not have: nothing");
    }

    @Test
    void aRetriedTaskKeepsItsFirstAttemptOnTheTimeline() {
        UUID cycle = submit(spec("timeline-retried", List.of(Map.of("key", "t", "kind", "noop", "queue", QUEUE,
                "retry", Map.of("maxAttempts", 2)))));
        long t = taskOf(cycle, "t");
        assertEquals(1, store.claim("first", List.of(delivery(t, 1)), Duration.ofMinutes(1)).size());
        assertEquals(1, store.complete("first", List.of(TaskOutcome.failure(t, 1, cycle, TaskStatus.RETRY_WAIT, "flaky", Duration.ZERO)))
                .accepted().size());
        assertFalse(store.promoteDueRetries(100).isEmpty());
        run(t, 2, cycle, "second");

        assertEquals(0, Db.count("select count(*) from cycle_timeline where task_id = ? and id < 0", t), "all of it stored");
        assertEquals(List.of("t task.queued 1 null", "t task.running 1 first", "t task.retry_wait 1 first", "t task.queued 2 null",
                "t task.running 2 second", "t task.succeeded 2 second"), taskEvents(events(cycle, "")));
    }
}
