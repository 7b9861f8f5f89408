package io.cyclefleet.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.db.Jdbc;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.AttemptFence;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The deployment intents in Postgres (table deployment_intent): written by the attempt that is about to change a
 * target, fenced by its lease, and read by its successors — a redelivered deploy, a rollback — to know what ran
 * before and whether an earlier attempt may still be acting. An intent is ended when its attempt's outcome is
 * written (TaskStore marks it, whether the outcome is accepted or fenced out); until then it may act until its
 * act_until, a time on Postgres' clock.
 */
@ApplicationScoped
public class DeploymentIntents {

    /** An intent as recorded. {@code observed} is the adapter state its attempt saw before acting. */
    public record Recorded(long id, long taskId, int attempt, String stepKey, Intent.Action action, String adapter, String workerId,
                           String previousVersion, String observedVersion, Map<String, Object> observed, String toVersion) {
    }

    /** An attempt other than the caller's that may still act on the adapter's target, and for how long at most. */
    public record Acting(long taskId, int attempt, String stepKey, Intent.Action action, String workerId, Duration atMost) {
        String describe() {
            return action.wireName() + " attempt " + attempt + " of step '" + stepKey + "' (task " + taskId + ", worker " + workerId + ")";
        }
    }

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final DataSource ds;
    private final ObjectMapper json;

    public DeploymentIntents(DataSource ds, ObjectMapper json) {
        this.ds = ds;
        this.json = json;
    }

    /** The intents of one step of a cycle (all its attempts), oldest first. */
    public List<Recorded> ofStep(UUID cycle, String stepKey) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select id, task_id, attempt, step_key, action, adapter, worker_id, previous_version, observed_version,
                           observed::text, to_version
                    from deployment_intent where cycle_id = ? and step_key = ? order by id""")) {
                ps.setObject(1, cycle);
                ps.setString(2, stepKey);
                List<Recorded> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Recorded(rs.getLong(1), rs.getLong(2), rs.getInt(3), rs.getString(4),
                                Intent.Action.valueOf(rs.getString(5).toUpperCase(java.util.Locale.ROOT)), rs.getString(6), rs.getString(7),
                                rs.getString(8), rs.getString(9), map(rs.getString(10)), rs.getString(11)));
                    }
                }
                return out;
            }
        });
    }

    /**
     * The attempt, other than {@code (taskId, attempt)}, that may act longest on the adapter's target: its intent is
     * not ended and its act_until has not passed. Any cycle's: a stale attempt of an ended cycle counts too.
     */
    public Optional<Acting> acting(String adapter, long taskId, int attempt) {
        return Jdbc.inTransaction(ds, c -> acting(c, adapter, taskId, attempt));
    }

    private static Optional<Acting> acting(java.sql.Connection c, String adapter, long taskId, int attempt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select task_id, attempt, step_key, action, worker_id, (extract(epoch from act_until - now()) * 1000)::bigint
                from deployment_intent
                where adapter = ? and ended_at is null and act_until > now() and not (task_id = ? and attempt = ?)
                order by act_until desc limit 1""")) {
            ps.setString(1, adapter);
            ps.setLong(2, taskId);
            ps.setInt(3, attempt);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Acting(rs.getLong(1), rs.getInt(2), rs.getString(3),
                        Intent.Action.valueOf(rs.getString(4).toUpperCase(java.util.Locale.ROOT)), rs.getString(5),
                        Duration.ofMillis(Math.max(0, rs.getLong(6))))) : Optional.empty();
            }
        }
    }

    /** The outcome of {@link #record}: the intent's id (the fencing token), or the attempt that may still act. */
    public record Recording(long fencingToken, Acting busy) {
        public boolean recorded() {
            return busy == null;
        }
    }

    /**
     * Records what this attempt is about to do, in one transaction that
     * <ul>
     * <li>holds an advisory lock per adapter, so that of two attempts that both found the target quiet only one
     *     records — the other finds it acting and waits again;</li>
     * <li>holds the cycle's row in share mode, so that a cancel, a deadline or the start of a rollback (which lock it
     *     for update) either sees this intent or is seen by it: a deploy is not recorded for a cycle that ended or
     *     is rolling back;</li>
     * <li>inserts only while this attempt holds the task's lease.</li>
     * </ul>
     * Returns the intent's id, or the other attempt that may still act. Fails when the attempt must not act at all.
     */
    public Recording record(TaskContext ctx, Intent.Action action, String adapter, String previousVersion, Observed observed,
                            String toVersion, Duration actFor) throws TaskFailure {
        Object out = Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(hashtextextended(?, 0))")) {
                ps.setString(1, "cyclefleet.deployment_intent:" + adapter);
                ps.execute();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "select finished_at is not null, failure_detected_at is not null from cycle where id = ? for share")) {
                ps.setObject(1, ctx.cycleId());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getBoolean(1)) {
                        return "the cycle has ended";
                    }
                    if (action == Intent.Action.DEPLOY && rs.getBoolean(2)) {
                        return "the cycle is rolling back";
                    }
                }
            }
            Optional<Acting> busy = acting(c, adapter, ctx.taskId(), ctx.attempt());
            if (busy.isPresent()) {
                return busy.get();
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into deployment_intent (task_id, attempt, cycle_id, step_key, action, adapter, worker_id, previous_version,
                                                   observed_version, observed, to_version, act_until)
                    select t.id, t.attempt, t.cycle_id, t.step_key, ?, ?, t.worker_id, ?, ?, ?::jsonb, ?, now() + ? * interval '1 millisecond'
                    from task t where %s
                    on conflict (task_id, attempt) do nothing
                    returning id""".formatted(AttemptFence.holds("t")))) {
                ps.setString(1, action.wireName());
                ps.setString(2, adapter);
                ps.setString(3, previousVersion);
                ps.setString(4, observed.version());
                ps.setString(5, text(observed.state()));
                ps.setString(6, toVersion);
                ps.setLong(7, actFor.toMillis());
                AttemptFence.bind(ps, 8, ctx.taskId(), ctx.attempt(), ctx.workerId());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getLong(1);
                    }
                }
            }
            return "attempt " + ctx.attempt() + " no longer holds task " + ctx.taskId() + " (cancelled or given to another worker)"
                    + " or has recorded an intent already";
        });
        if (out instanceof Long id) {
            return new Recording(id, null);
        }
        if (out instanceof Acting busy) {
            return new Recording(0, busy);
        }
        throw new TaskFailure("not acting on adapter '" + adapter + "': " + out, false);
    }

    /** A deploy that could not read what ran before learned it from the target's answer: a rollback restores that. */
    public void learnPrevious(long intent, String previousVersion) {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update deployment_intent set previous_version = ? where id = ? and previous_version is null")) {
                ps.setString(1, previousVersion);
                ps.setLong(2, intent);
                return ps.executeUpdate();
            }
        });
    }

    /** Tells the cycle's timeline why a step waits (it holds its lease meanwhile). */
    public void note(TaskContext ctx, String type, String detail) {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into cycle_event (cycle_id, task_id, type, attempt, worker_id, detail) values (?, ?, ?, ?, ?, ?)")) {
                ps.setObject(1, ctx.cycleId());
                ps.setLong(2, ctx.taskId());
                ps.setString(3, type);
                ps.setInt(4, ctx.attempt());
                ps.setString(5, ctx.workerId());
                ps.setString(6, detail);
                return ps.executeUpdate();
            }
        });
    }

    private Map<String, Object> map(String text) throws SQLException {
        try {
            return text == null ? Map.of() : json.readValue(text, MAP);
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable deployment_intent.observed: " + e.getOriginalMessage(), e);
        }
    }

    private String text(Map<String, Object> state) {
        try {
            return json.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
