package io.cyclefleet.maintenance;

import static io.cyclefleet.support.Cycles.spec;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;

import io.cyclefleet.queue.Delivery;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.support.Db;
import io.cyclefleet.task.TaskStore;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The reconciler's passes run on one orchestrator at a time: while another replica holds its lock, nothing is repaired here. */
@QuarkusTest
class ReconcilerLockTest {

    @Inject
    TaskStore store;

    @Test
    void whileAnotherReplicaHoldsTheReconcilersLockNothingIsRepairedHere() throws Exception {
        UUID cycle = submit(spec("reconciler-lock", List.of(Map.of("key", "t", "kind", "noop", "queue", "lock-only"))));
        long task = Db.count("select id from task where cycle_id = ?", cycle);
        store.claim("ghost", List.of(new Delivery("lock-only", Priority.NORMAL, "0-1", task, 1)), Duration.ofMinutes(1));
        try (Connection other = Db.connect()) {
            other.setAutoCommit(false);
            try (PreparedStatement ps = other.prepareStatement("select pg_advisory_xact_lock(?)")) {
                ps.setLong(1, Reconciler.LOCK_KEY); // what another orchestrator's pass holds
                ps.execute();
            }
            Db.update("update task set lease_expires_at = now() - interval '1 second' where id = ?", task);
            // the passes come every 500 ms in tests: six of them find the lock taken and repair nothing
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                    Db.count("select count(*) from task where id = ? and status = 'RUNNING' and attempt = 1", task) == 1);
            other.rollback();
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Db.count("select count(*) from task where id = ? and status = 'QUEUED' and attempt = 2", task) == 1);
        io.restassured.RestAssured.given().post("/api/v1/cycles/" + cycle + "/cancel").then().statusCode(200);
    }
}
