package io.cyclefleet.cycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.task.TaskStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Judges the gates whose upstream steps have all succeeded, inside the advancer's transaction: reads what those
 * steps reported, judges it, records the evaluation with its inputs, and moves the gate to SUCCEEDED (pass) or
 * FAILED (fail), so that the rest of the DAG follows as for any step.
 */
@ApplicationScoped
public class GateStore {

    private static final Logger LOG = Logger.getLogger(GateStore.class);
    private static final TypeReference<Map<String, Double>> METRICS = new TypeReference<>() {
    };

    private final ObjectMapper json;

    public GateStore(ObjectMapper json) {
        this.json = json;
    }

    /** Judges the gate's conditions on what its upstream steps reported (the advancer knows they all succeeded). */
    GateEvaluator.Evaluation judge(Connection c, long gate) throws SQLException {
        JsonNode conditions;
        try (PreparedStatement ps = c.prepareStatement("select params::text from task where id = ?")) {
            ps.setLong(1, gate);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("gate task " + gate + " is gone");
                }
                conditions = parse(rs.getString(1)).path("conditions");
            }
        }
        return GateEvaluator.evaluate(conditions, upstream(c, gate));
    }

    private Map<String, GateEvaluator.Reported> upstream(Connection c, long gate) throws SQLException {
        Map<String, GateEvaluator.Reported> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select u.step_key, u.metrics::text, u.score from task_dependency d join task u on u.id = d.depends_on
                where d.task_id = ?""")) {
            ps.setLong(1, gate);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String metrics = rs.getString(2);
                    float score = rs.getFloat(3);
                    out.put(rs.getString(1), new GateEvaluator.Reported(
                            metrics == null ? Map.of() : read(metrics), rs.wasNull() ? null : (double) score));
                }
            }
        }
        return out;
    }

    /** Records the verdict with its inputs and moves the gate to SUCCEEDED (pass) or FAILED (fail). */
    void record(Connection c, UUID cycle, long gate, String key, GateEvaluator.Evaluation e) throws SQLException {
        LOG.infof("cycle %s gate %s: %s", cycle, key, e.summary());
        JsonNode conditionsNode = json.valueToTree(e.conditions());
        String conditions = conditionsNode.toString();
        String result = json.createObjectNode().put("verdict", e.passed() ? "pass" : "fail")
                .put("summary", e.summary()).set("conditions", conditionsNode).toString();
        try (PreparedStatement ps = c.prepareStatement("""
                insert into gate_evaluation (cycle_id, task_id, gate_key, verdict, conditions) values (?, ?, ?, ?, ?::jsonb)""")) {
            ps.setObject(1, cycle);
            ps.setLong(2, gate);
            ps.setString(3, key);
            ps.setString(4, e.passed() ? "pass" : "fail");
            ps.setString(5, conditions);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update task set status = ?, result = ?::jsonb, error = ?, started_at = now(), finished_at = now()
                where id = ? and status = ?""")) {
            ps.setString(1, (e.passed() ? TaskStatus.SUCCEEDED : TaskStatus.FAILED).name());
            ps.setString(2, result);
            ps.setString(3, e.passed() ? null : e.summary());
            ps.setLong(4, gate);
            ps.setString(5, TaskStatus.PENDING.name());
            ps.executeUpdate();
        }
    }

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("gate params are not JSON: " + text, e);
        }
    }

    private Map<String, Double> read(String metrics) {
        try {
            return json.readValue(metrics, METRICS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("task metrics are not JSON: " + metrics, e);
        }
    }
}
