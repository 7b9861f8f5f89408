package io.cyclefleet.handler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * What other steps of the same cycle recorded, read from Postgres (the record): a rollback reads the version
 * its deployment replaced, a report reads every step.
 */
@ApplicationScoped
public class StepResults {

    /** A step's state as recorded. {@code result} is the handler's summary (null until it succeeded). */
    public record Step(String key, String kind, String status, JsonNode result, String error) {
    }

    private final DataSource ds;
    private final ObjectMapper json;

    public StepResults(DataSource ds, ObjectMapper json) {
        this.ds = ds;
        this.json = json;
    }

    public Optional<Step> of(UUID cycle, String key) throws TaskFailure {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("select step_key, kind, status, result::text, error from task where cycle_id = ? and step_key = ?")) {
            ps.setObject(1, cycle);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Step(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getString(4) == null ? null : json.readTree(rs.getString(4)), rs.getString(5))) : Optional.empty();
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new TaskFailure("postgres: could not read step " + key + " of cycle " + cycle + ": " + e.getMessage(), true);
        }
    }
}
