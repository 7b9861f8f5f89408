package io.cyclefleet.retention;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.queue.Priority;
import io.cyclefleet.queue.QueueKeys;
import io.cyclefleet.queue.RedisTaskQueue;
import io.cyclefleet.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.StreamConsumer;
import org.redisson.client.codec.StringCodec;

/**
 * The retention purge, on cycles no worker runs (a queue nobody listens on; cancelled to end them) aged by moving
 * their timestamps back: what is older than {@code keep} goes with everything hanging off it, the rest stays.
 */
@QuarkusTest
class RetentionTest {

    private static final String QUEUE = "retention-only";

    @Inject
    Retention retention;
    @Inject
    RedisTaskQueue queue;
    @Inject
    RedissonClient redisson;

    @Test
    void finishedCyclesOlderThanTheRetentionGoWithEverythingHangingOffThemAndNothingElseDoes() {
        UUID old = finishedCycle("old", 40);
        UUID recent = finishedCycle("recent", 2);
        UUID named = finishedCycle("named-by-an-incident", 40);
        UUID resolvedOnes = finishedCycle("named-by-an-old-resolved-incident", 40);
        UUID parent = finishedCycle("parent", 40);
        UUID child = finishedCycle("child", 1);
        Db.update("update cycle set parent_id = ? where id = ?", parent, child);
        UUID running = submit(spec("running", List.of(Map.of("key", "a", "kind", "noop", "queue", QUEUE))));
        Db.update("update cycle set created_at = now() - interval '40 days' where id = ?", running);
        incident(named, null);
        incident(resolvedOnes, "41 days");
        assertTrue(Db.count("select count(*) from cycle_timeline where cycle_id = ?", old) > 0);

        Retention.Purged purged = retention.purge();

        assertEquals(1, purged.incidents(), "the incident resolved 41 days ago");
        for (UUID gone : List.of(old, resolvedOnes)) {
            assertEquals(0, Db.count("select count(*) from cycle where id = ?", gone));
            assertEquals(0, Db.count("select count(*) from task where cycle_id = ?", gone));
            assertEquals(0, Db.count("select count(*) from cycle_timeline where cycle_id = ?", gone));
        }
        for (UUID kept : List.of(recent, named, parent, child, running)) {
            assertEquals(1, Db.count("select count(*) from cycle where id = ?", kept), "kept: " + kept);
            assertTrue(Db.count("select count(*) from task where cycle_id = ?", kept) > 0);
        }
        assertTrue(purged.cycles() >= 2, "at least the two old cycles nothing names: " + purged);

        // the parent of an iteration goes once the iteration has gone: in the same run, one statement later
        Db.update("update cycle set finished_at = now() - interval '40 days' where id = ?", child);
        assertEquals(2, retention.purge().cycles());
        assertEquals(0, Db.count("select count(*) from cycle where id in (?, ?)", parent, child));
        RestAssured.given().post("/api/v1/cycles/" + running + "/cancel").then().statusCode(200);
    }

    @Test
    void consumersOfKilledProcessesAreRemovedOnlyWhenIdleWithNothingPending() {
        submit(spec("consumers", List.of(Map.of("key", "a", "kind", "noop", "queue", QUEUE))));
        RStream<String, String> stream = redisson.getStream(queue.keys().stream(QUEUE, Priority.NORMAL), StringCodec.INSTANCE);
        // a consumer holding an entry (it fetched and died) is left to the orphan sweep
        assertEquals(1, queue.fetch(QUEUE, "killed-holding", 10, Duration.ofMillis(100)).size());
        stream.createConsumer(QueueKeys.WORKER_GROUP, "killed-idle");
        // idle time is what this is about: both consumers must have been idle for a moment
        await().atMost(Duration.ofSeconds(5)).until(() -> stream.listConsumers(QueueKeys.WORKER_GROUP).stream()
                .allMatch(c -> c.getIdleTime() >= 200));

        assertEquals(0, queue.removeIdleConsumers(Duration.ofHours(1)), "nobody has been idle for an hour");
        int removed = queue.removeIdleConsumers(Duration.ofMillis(200));
        List<String> left = stream.listConsumers(QueueKeys.WORKER_GROUP).stream().map(StreamConsumer::getName).toList();
        assertTrue(removed >= 1, "removed " + removed);
        assertTrue(!left.contains("killed-idle"), left.toString());
        assertTrue(left.contains("killed-holding"), left.toString());
    }

    /** A cycle ended (cancelled) {@code daysAgo} days ago, with its tasks, their events and timestamps. */
    private static UUID finishedCycle(String name, int daysAgo) {
        UUID id = submit(spec("retention-" + name, List.of(Map.of("key", "a", "kind", "noop", "queue", QUEUE),
                Map.of("key", "b", "kind", "noop", "queue", QUEUE, "dependsOn", List.of("a")))));
        RestAssured.given().post("/api/v1/cycles/" + id + "/cancel").then().statusCode(200);
        Db.update("update cycle set created_at = now() - make_interval(days => ?), finished_at = now() - make_interval(days => ?) "
                + "where id = ?", daysAgo + 1, daysAgo, id);
        return id;
    }

    /** An incident naming {@code cycle}; resolved {@code resolvedAgo} (an interval) ago, or open when null. */
    private static void incident(UUID cycle, String resolvedAgo) {
        UUID id = UUID.randomUUID();
        Db.update("""
                insert into incident (id, dedup_key, target, cause, severity, status, title, cycle_id, latest_cycle_id, details)
                values (?, ?, 'svc-retention', 'rollback-failed', 'critical', 'open', 'retention test', ?, ?, '{}'::jsonb)""",
                id, "retention:" + id, cycle, cycle);
        if (resolvedAgo != null) {
            Db.update("update incident set status = 'resolved', resolved_at = now() - ?::interval where id = ?", resolvedAgo, id);
        }
    }
}
