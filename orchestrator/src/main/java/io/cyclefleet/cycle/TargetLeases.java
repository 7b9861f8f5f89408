package io.cyclefleet.cycle;

import io.cyclefleet.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * One change at a time per target: a cycle with a step that changes its target (a deployment, a rollback) holds the
 * leases (table target_lease) of what it changes — {@code target:<target>}, and {@code adapter:<name>} for each
 * deployment adapter it names, so that two cycles naming one service differently still wait for each other — from
 * when it is written until it ends: every terminal path releases them in the transaction that ends the cycle
 * ({@link CycleStore#finish}). A cycle that finds one held, or an older cycle waiting for one, waits in
 * WAITING_FOR_TARGET; the reconciler hands free leases to waiting cycles oldest first every pass, which also repairs
 * any cycle left waiting for leases nobody holds (invariant 8).
 */
@ApplicationScoped
public class TargetLeases {

    private final DataSource ds;

    public TargetLeases(DataSource ds) {
        this.ds = ds;
    }

    /**
     * Takes every lease of {@code resources} for the cycle, or none: empty when it did, else the cycle it must wait
     * for (holding one of them, or waiting for one longer). With {@code fair}, a cycle waiting for one of them since
     * before counts as holding it, so that a newcomer never overtakes it.
     */
    static Optional<UUID> acquire(Connection c, UUID cycle, List<String> resources, boolean fair) throws SQLException {
        if (fair) {
            try (PreparedStatement ps = c.prepareStatement("""
                    select w.id from cycle w
                    where w.status = 'WAITING_FOR_TARGET' and w.id <> ? and w.change_resources && ?::text[]
                    order by w.created_at, w.id limit 1""")) {
                ps.setObject(1, cycle);
                ps.setArray(2, array(c, resources));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return Optional.of(rs.getObject(1, UUID.class));
                    }
                }
            }
        }
        // in a fixed order: two cycles taking overlapping sets never deadlock
        for (String resource : resources.stream().sorted().toList()) {
            Optional<UUID> holder = take(c, cycle, resource);
            if (holder.isPresent()) {
                release(c, cycle); // all or nothing
                return holder;
            }
        }
        return Optional.empty();
    }

    /** Takes one lease; empty when it did (or the cycle held it), else its holder. */
    private static Optional<UUID> take(Connection c, UUID cycle, String resource) throws SQLException {
        while (true) {
            try (PreparedStatement ps = c.prepareStatement("insert into target_lease (resource, cycle_id) values (?, ?) on conflict do nothing")) {
                ps.setString(1, resource);
                ps.setObject(2, cycle);
                if (ps.executeUpdate() == 1) {
                    return Optional.empty();
                }
            }
            // a statement of its own: it sees a holder that committed while the insert waited on it
            try (PreparedStatement ps = c.prepareStatement("select cycle_id from target_lease where resource = ?")) {
                ps.setString(1, resource);
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

    /** Releases whatever leases the cycle holds (it is ending). */
    static void release(Connection c, UUID cycle) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("delete from target_lease where cycle_id = ?")) {
            ps.setObject(1, cycle);
            ps.executeUpdate();
        }
    }

    /**
     * Gives waiting cycles their leases, oldest first: a cycle gets them when all are free and no older waiting cycle
     * wants one of them; it becomes RUNNING. Returns those cycles, for the caller to advance (their first steps are
     * queued then).
     */
    public List<UUID> handOff(int limit) {
        return Jdbc.inTransaction(ds, c -> {
            List<UUID> started = new ArrayList<>();
            Set<String> wantedByOlder = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select id, change_resources from cycle where status = 'WAITING_FOR_TARGET'
                    order by created_at, id limit ? for no key update skip locked""")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        UUID id = rs.getObject(1, UUID.class);
                        List<String> resources = List.of((String[]) rs.getArray(2).getArray());
                        boolean behindOlder = resources.stream().anyMatch(wantedByOlder::contains);
                        wantedByOlder.addAll(resources);
                        if (!behindOlder && acquire(c, id, resources, false).isEmpty()) {
                            started.add(id);
                        }
                    }
                }
            }
            for (UUID id : started) {
                try (PreparedStatement ps = c.prepareStatement(
                        "update cycle set status = 'RUNNING', updated_at = now() where id = ? and status = 'WAITING_FOR_TARGET'")) {
                    ps.setObject(1, id);
                    ps.executeUpdate(); // the row is locked above: it is still waiting
                }
                CycleStore.event(c, id, "cycle.target_acquired", "what it changes is free: this cycle may change it now");
            }
            return started;
        });
    }

    private static Array array(Connection c, List<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray(String[]::new));
    }
}
