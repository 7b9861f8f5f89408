package io.cyclefleet.cycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Evaluates the gates of a cycle whose upstream steps have all succeeded, inside the advancer's
 * transaction: reads what those steps reported, judges it, records the evaluation with its inputs, and
 * moves the gate to SUCCEEDED (pass) or FAILED (fail), so that the rest of the DAG follows as for any step.
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

    private record ReadyGate(long id, String key, JsonNode conditions) {
    }

    /** Returns how many gates were evaluated. */
    int evaluateReady(Connection c, UUID cycle) throws SQLException {
        List<ReadyGate> ready = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select t.id, t.step_key, t.params::text from task t
                where t.cycle_id = ? and t.status = 'PENDING' and t.kind = 'gate'
                  and not exists (select 1 from task_dependency d join task u on u.id = d.depends_on
                                  where d.task_id = t.id and u.status <> 'SUCCEEDED')""")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ready.add(new ReadyGate(rs.getLong(1), rs.getString(2), parse(rs.getString(3)).path("conditions")));
                }
            }
        }
        for (ReadyGate gate : ready) {
            GateEvaluator.Evaluation e = GateEvaluator.evaluate(gate.conditions(), upstream(c, gate.id()));
            record(c, cycle, gate, e);
            LOG.infof("cycle %s gate %s: %s", cycle, gate.key(), e.summary());
        }
        return ready.size();
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

    private void record(Connection c, UUID cycle, ReadyGate gate, GateEvaluator.Evaluation e) throws SQLException {
        JsonNode conditionsNode = json.valueToTree(e.conditions());
        String conditions = conditionsNode.toString();
        String result = json.createObjectNode().put("verdict", e.passed() ? "pass" : "fail")
                .put("summary", e.summary()).set("conditions", conditionsNode).toString();
        try (PreparedStatement ps = c.prepareStatement("""
                insert into gate_evaluation (cycle_id, task_id, gate_key, verdict, conditions) values (?, ?, ?, ?, ?::jsonb)""")) {
            ps.setObject(1, cycle);
            ps.setLong(2, gate.id());
            ps.setString(3, gate.key());
            ps.setString(4, e.passed() ? "pass" : "fail");
            ps.setString(5, conditions);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update task set status = ?, result = ?::jsonb, error = ?, started_at = now(), finished_at = now()
                where id = ? and status = 'PENDING'""")) {
            ps.setString(1, e.passed() ? "SUCCEEDED" : "FAILED");
            ps.setString(2, result);
            ps.setString(3, e.passed() ? null : e.summary());
            ps.setLong(4, gate.id());
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
