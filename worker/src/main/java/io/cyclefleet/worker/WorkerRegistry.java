package io.cyclefleet.worker;

import io.cyclefleet.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import javax.sql.DataSource;

/** This worker's heartbeat row (GET /api/v1/workers lists them). */
@ApplicationScoped
public class WorkerRegistry {

    public enum Status { LIVE, DRAINING, GONE }

    private final DataSource ds;

    public WorkerRegistry(DataSource ds) {
        this.ds = ds;
    }

    void beat(WorkerIdentity me, Status status, int inFlight) {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into worker (id, hostname, pid, queues, concurrency, status, in_flight)
                    values (?, ?, ?, ?, ?, ?, ?)
                    on conflict (id) do update set status = excluded.status, in_flight = excluded.in_flight,
                        last_seen_at = now(), stopped_at = case when excluded.status = 'GONE' then now() end""")) {
                ps.setString(1, me.id());
                ps.setString(2, me.hostname());
                ps.setLong(3, me.pid());
                ps.setString(4, String.join(",", me.queues()));
                ps.setInt(5, me.concurrency());
                ps.setString(6, status.name());
                ps.setInt(7, inFlight);
                return ps.executeUpdate();
            }
        });
    }
}
