package io.cyclefleet.run;

import io.cyclefleet.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** What other steps of the same cycle recorded, read from Postgres (the record). */
@ApplicationScoped
public class StepResults {

    /** A step's state as recorded. */
    public record Step(String key, String kind, String status, String error) {
    }

    private final DataSource ds;

    public StepResults(DataSource ds) {
        this.ds = ds;
    }

    /** The step {@code key} of the cycle, if it has one; a store failure comes back as a StoreException (a fault). */
    public Optional<Step> of(UUID cycle, String key) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("select step_key, kind, status, error from task where cycle_id = ? and step_key = ?")) {
                ps.setObject(1, cycle);
                ps.setString(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Step(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
                            : Optional.<Step>empty();
                }
            }
        });
    }
}
