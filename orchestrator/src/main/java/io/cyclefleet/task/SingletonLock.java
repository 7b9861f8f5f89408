package io.cyclefleet.task;

import io.cyclefleet.db.StoreException;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Runs a loop body on one orchestrator replica at a time: it holds a Postgres transaction-level advisory
 * lock for the duration, so replicas that lose the race simply skip that tick.
 */
@ApplicationScoped
public class SingletonLock {

    private final DataSource ds;

    public SingletonLock(DataSource ds) {
        this.ds = ds;
    }

    /** Returns false when another replica holds the lock. */
    public boolean runExclusively(long key, Runnable body) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_xact_lock(?)")) {
                    ps.setLong(1, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (!rs.getBoolean(1)) {
                            return false;
                        }
                    }
                }
                body.run();
                return true;
            } finally {
                c.rollback(); // releases the lock; the body commits its own work
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }
}
