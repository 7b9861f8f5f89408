package io.cyclefleet.handler;

import static io.cyclefleet.db.Jdbc.texts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.db.Jdbc;
import io.cyclefleet.db.StoreException;
import io.cyclefleet.kinds.ReportKind;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.AttemptFence;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The {@code report} kind: reads the cycle, every task, the gate evaluations and the newest part of the
 * timeline from Postgres in one snapshot, renders them as Markdown, JSON and CSV ({@link ReportRenderer}, each
 * capped at 1 MiB) and upserts the three into {@code cycle_report} in one statement, fenced like every task
 * write: only while this attempt still holds the task. The orchestrator serves them at
 * {@code GET /api/v1/cycles/{id}/report}. The report step usually runs inside the cycle it describes (as its
 * last step), so the report shows the cycle as it was at that moment: RUNNING, with the report step running.
 */
@ApplicationScoped
public class ReportHandler implements TaskHandler {

    private static final Logger LOG = Logger.getLogger(ReportHandler.class);
    /** The newest timeline events a report shows; the whole timeline is one API call away. */
    static final int TIMELINE_EVENTS = 500;
    static final int GATE_EVALUATIONS = 1000;
    /** A step's result summary is quoted when it is at most this long (results may be 64 KiB each). */
    static final int RESULT_QUOTE_BYTES = 4096;
    static final int ERROR_CHARS = 2000;
    static final int DETAIL_CHARS = 500;
    private static final TypeReference<TreeMap<String, Double>> METRICS = new TypeReference<>() {
    };
    private static final TypeReference<JsonNode> JSON_TREE = new TypeReference<>() {
    };

    private final DataSource ds;
    private final ObjectMapper json;

    public ReportHandler(DataSource ds, ObjectMapper json) {
        this.ds = ds;
        this.json = json;
    }

    @Override
    public String kind() {
        return ReportKind.KIND;
    }

    @Override
    public TaskResult handle(TaskContext context) throws TaskFailure {
        JsonNode title = context.params() == null ? null : context.params().get("title");
        ReportData data = read(context, title != null && title.isTextual() ? title.asText() : null);
        ReportRenderer.Output markdown = ReportRenderer.markdown(data, ReportRenderer.MAX_BYTES);
        ReportRenderer.Output document = ReportRenderer.json(data, ReportRenderer.MAX_BYTES);
        ReportRenderer.Output csv = ReportRenderer.csv(data, ReportRenderer.MAX_BYTES);
        write(context, markdown.content(), document.content(), csv.content());

        String path = ReportRenderer.reportPath(data);
        ObjectNode summary = json.createObjectNode()
                .put("report", path)
                .put("fetch", "GET " + path + "?format=markdown|json|csv (default markdown)")
                .put("cycleStatus", data.cycle().status());
        ObjectNode bytes = summary.putObject("bytes");
        bytes.put("markdown", markdown.bytes()).put("json", document.bytes()).put("csv", csv.bytes());
        var truncated = summary.putArray("truncated");
        if (markdown.truncated()) {
            truncated.add("markdown");
        }
        if (document.truncated()) {
            truncated.add("json");
        }
        if (csv.truncated()) {
            truncated.add("csv");
        }
        LOG.infof("cycle %s: report written (%d steps, markdown %d bytes, json %d bytes, csv %d bytes)", data.cycle().id(),
                data.steps().size(), markdown.bytes(), document.bytes(), csv.bytes());
        return new TaskResult(summary, Map.of("steps", (double) data.steps().size(), "failed_steps", (double) data.failedSteps(),
                "metrics", (double) data.metricCount()), null);
    }

    // ---------------------------------------------------------------------------------------------- read

    private ReportData read(TaskContext ctx, String title) throws TaskFailure {
        ReportData data;
        try {
            data = Jdbc.inTransaction(ds, c -> {
                try (Statement st = c.createStatement()) {
                    // every query below sees the same moment
                    st.execute("set transaction isolation level repeatable read, read only");
                }
                ReportData.Cycle cycle = cycle(c, ctx.cycleId());
                if (cycle == null) {
                    return null;
                }
                return new ReportData(title, snapshotTime(c), ctx.taskId(), ctx.key(), ctx.attempt(), cycle, steps(c, ctx.cycleId()),
                        gates(c, ctx.cycleId()), timeline(c, ctx.cycleId()), totalEvents(c, ctx.cycleId()));
            });
        } catch (StoreException e) {
            if (e.isTransient()) {
                throw e; // Postgres unreachable: a fault, the task goes back without spending an attempt
            }
            throw new TaskFailure("postgres: could not read cycle " + ctx.cycleId() + " for its report: " + e.getMessage(), true);
        } catch (IllegalStateException e) {
            throw new TaskFailure("cycle " + ctx.cycleId() + ": " + e.getMessage(), false);
        }
        if (data == null) {
            throw new TaskFailure("cycle " + ctx.cycleId() + " does not exist (deleted?): nothing to report", false);
        }
        return data;
    }

    /** The time of the snapshot: {@code now()} is the start of the transaction that reads everything. */
    private static Instant snapshotTime(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select now()")) {
            rs.next();
            return instant(rs, 1);
        }
    }

    private static ReportData.Cycle cycle(Connection c, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select name, target, iteration, status, left(error, ?), created_at, finished_at, deadline_at,
                       failure_detected_at, rollback_cause, mttr_ms
                from cycle where id = ?""")) {
            ps.setInt(1, ERROR_CHARS);
            ps.setObject(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long mttr = rs.getLong(11);
                return new ReportData.Cycle(id, rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5),
                        instant(rs, 6), instant(rs, 7), instant(rs, 8), instant(rs, 9), rs.getString(10), rs.wasNull() ? null : mttr);
            }
        }
    }

    private List<ReportData.Step> steps(Connection c, UUID cycle) throws SQLException {
        List<ReportData.Step> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select id, step_key, kind, branch, status, attempt, max_attempts, worker_id, queued_at, started_at, finished_at,
                       metrics::text, score, left(error, ?),
                       case when octet_length(result::text) <= ? then result::text end, coalesce(octet_length(result::text), 0)
                from task where cycle_id = ? order by id""")) {
            ps.setInt(1, ERROR_CHARS);
            ps.setInt(2, RESULT_QUOTE_BYTES);
            ps.setObject(3, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String metrics = rs.getString(12);
                    float score = rs.getFloat(13);
                    Double s = rs.wasNull() ? null : Double.valueOf(Float.toString(score)); // real: 7.3, not 7.300000190734863
                    out.add(new ReportData.Step(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getInt(6), rs.getInt(7), rs.getString(8), instant(rs, 9), instant(rs, 10), instant(rs, 11),
                            metrics == null ? Map.of() : parse(metrics, METRICS), s, rs.getString(14), rs.getString(15), rs.getInt(16)));
                }
            }
        }
        return out;
    }

    private List<ReportData.GateEvaluation> gates(Connection c, UUID cycle) throws SQLException {
        List<ReportData.GateEvaluation> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select id, gate_key, verdict, evaluated_at, conditions::text from gate_evaluation
                where cycle_id = ? order by id desc limit ?""")) {
            ps.setObject(1, cycle);
            ps.setInt(2, GATE_EVALUATIONS);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<ReportData.Condition> conditions = new ArrayList<>();
                    for (JsonNode k : parse(rs.getString(5), JSON_TREE)) {
                        conditions.add(new ReportData.Condition(k.path("condition").asText(), number(k.get("observed")),
                                k.path("op").asText(), number(k.get("threshold")), k.path("verdict").asText()));
                    }
                    out.add(new ReportData.GateEvaluation(rs.getLong(1), rs.getString(2), rs.getString(3), instant(rs, 4), conditions));
                }
            }
        }
        Collections.reverse(out);
        return out;
    }

    private static List<ReportData.Event> timeline(Connection c, UUID cycle) throws SQLException {
        List<ReportData.Event> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select e.id, e.at, e.type, t.step_key, e.from_status, e.to_status, e.attempt, e.worker_id, left(e.detail, ?)
                from cycle_timeline e left join task t on t.id = e.task_id
                where e.cycle_id = ? order by e.at desc, e.id desc limit ?""")) {
            ps.setInt(1, DETAIL_CHARS);
            ps.setObject(2, cycle);
            ps.setInt(3, TIMELINE_EVENTS);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int attempt = rs.getInt(7);
                    Integer a = rs.wasNull() ? null : attempt;
                    out.add(new ReportData.Event(rs.getLong(1), instant(rs, 2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), a, rs.getString(8), rs.getString(9)));
                }
            }
        }
        Collections.reverse(out);
        return out;
    }

    private static long totalEvents(Connection c, UUID cycle) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select count(*) from cycle_timeline where cycle_id = ?")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static Double number(JsonNode n) {
        return n == null || !n.isNumber() ? null : n.asDouble();
    }

    private <T> T parse(String text, TypeReference<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is unreadable: " + e.getOriginalMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------- write

    /**
     * The three formats in one statement: a rerun replaces the cycle's previous report. Fenced: written only
     * while this run holds the task ({@link AttemptFence}), like every task write; otherwise the task was cancelled,
     * redelivered or taken over, and this attempt's result will be rejected anyway.
     */
    private void write(TaskContext ctx, String markdown, String document, String csv) throws TaskFailure {
        int rows;
        try {
            rows = Jdbc.inTransaction(ds, c -> {
                try (PreparedStatement ps = c.prepareStatement("""
                        insert into cycle_report (cycle_id, task_id, format, content)
                        select t.cycle_id, t.id, f.format, f.content
                        from task t, unnest(?::text[], ?::text[]) as f(format, content)
                        where %s
                        on conflict (cycle_id, format) do update
                            set task_id = excluded.task_id, content = excluded.content, created_at = excluded.created_at"""
                        .formatted(AttemptFence.holds("t")))) {
                    ps.setArray(1, texts(c, List.of("markdown", "json", "csv")));
                    ps.setArray(2, texts(c, List.of(markdown, document, csv)));
                    AttemptFence.bind(ps, 3, ctx.taskId(), ctx.attempt(), ctx.workerId());
                    return ps.executeUpdate();
                }
            });
        } catch (StoreException e) {
            if (e.isTransient()) {
                throw e;
            }
            throw new TaskFailure("postgres: could not store the report of cycle " + ctx.cycleId() + ": " + e.getMessage(), true);
        }
        if (rows != 3) {
            throw new TaskFailure("report not stored: task " + ctx.taskId() + " is no longer RUNNING at attempt " + ctx.attempt()
                    + " for worker " + ctx.workerId() + " (cancelled, or handed to another attempt or worker)", true);
        }
    }
}
