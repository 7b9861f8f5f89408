package io.cyclefleet.cycle;

import io.cyclefleet.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * One change at a time per target: a cycle with a step that changes its target (a deployment, a rollback) holds the
 * target's lease (table target_lease) from when it is written until it ends — every terminal path releases it in the
 * transaction that ends the cycle ({@link CycleStore#finish}). A cycle that finds the lease held waits in
 * WAITING_FOR_TARGET; the reconciler hands a free lease to the oldest waiting cycle of that target every pass, which
 * also repairs any cycle left waiting for a lease nobody holds (invariant 8).
 */
@ApplicationScoped
public class TargetLeases {

    private final DataSource ds;

    public TargetLeases(DataSource ds) {
        this.ds = ds;
    }

    /** Takes the target's lease for the cycle; empty when it did (or already held it), else the cycle holding it. */
    static Optional<UUID> acquire(Connection c, String target, UUID cycle) throws SQLException {
        while (true) {
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into target_lease (target, cycle_id) values (?, ?) on conflict do nothing")) {
                ps.setString(1, target);
                ps.setObject(2, cycle);
                if (ps.executeUpdate() == 1) {
                    return Optional.empty();
                }
            }
            // a statement of its own: it sees a holder that committed while the insert waited on it
            try (PreparedStatement ps = c.prepareStatement("select cycle_id from target_lease where target = ?")) {
                ps.setString(1, target);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        UUID holder = rs.getObject(1, UUID.class);
                        return holder.equals(cycle) ? Optional.empty() : Optional.of(holder);
                    }
                }
            }
            // released in between: try again
        }
    }

    /** Releases whatever lease the cycle holds (it is ending). */
    static void release(Connection c, UUID cycle) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("delete from target_lease where cycle_id = ?")) {
            ps.setObject(1, cycle);
            ps.executeUpdate();
        }
    }

    /**
     * Gives each free target's lease to its oldest WAITING_FOR_TARGET cycle, which becomes RUNNING; returns those
     * cycles, for the caller to advance (their first steps are queued then).
     */
    public List<UUID> handOff(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            List<UUID> started = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    with next as (
                        select distinct on (w.target) w.id, w.target from cycle w
                        where w.status = 'WAITING_FOR_TARGET' and not exists (select 1 from target_lease l where l.target = w.target)
                        order by w.target, w.created_at, w.id limit ?),
                    taken as (insert into target_lease (target, cycle_id) select target, id from next on conflict do nothing returning cycle_id)
                    update cycle c set status = 'RUNNING', updated_at = now() from taken where c.id = taken.cycle_id
                    returning c.id""")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        started.add(rs.getObject(1, UUID.class));
                    }
                }
            }
            for (UUID id : started) {
                CycleStore.event(c, id, "cycle.target_acquired", "the target is free: this cycle may change it now");
            }
            return started;
        });
    }
}
