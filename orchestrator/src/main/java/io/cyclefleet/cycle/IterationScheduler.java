package io.cyclefleet.cycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.task.Params;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;

/**
 * The iteration trigger: when a cycle with {@code iterate} succeeds below its {@code untilScore}, marks when
 * iteration n+1 is due (inside the transaction that ends the cycle, so the decision cannot be lost); the
 * reconciler starts it when due. Never beyond {@code maxIterations}; every decision is on the timeline.
 */
@ApplicationScoped
public class IterationScheduler {

    private final ObjectMapper json;

    public IterationScheduler(ObjectMapper json) {
        this.json = json;
    }

    void scheduleIfBelowGoal(Connection c, UUID cycle) throws SQLException {
        CycleSpec.IterateSpec it;
        int iteration;
        Double average;
        try (PreparedStatement ps = c.prepareStatement("""
                select spec::text, iteration, (select avg(score) from task where cycle_id = c.id and score is not null)
                from cycle c where id = ?""")) {
            ps.setObject(1, cycle);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                it = json.readValue(rs.getString(1), CycleSpec.class).iterate();
                iteration = rs.getInt(2);
                double avg = rs.getDouble(3);
                average = rs.wasNull() ? null : avg;
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("stored spec of cycle " + cycle + " is unreadable", e);
            }
        }
        if (it == null) {
            return;
        }
        if (average == null) {
            CycleStore.event(c, cycle, "cycle.iteration_not_started", "no step reported a score, so the goal cannot be judged");
            return;
        }
        String score = String.format(Locale.ROOT, "average score %.2f", average);
        if (average >= it.untilScore()) {
            CycleStore.event(c, cycle, "cycle.goal_reached", score + " ≥ " + it.untilScore());
            return;
        }
        if (iteration >= it.maxIterations()) {
            CycleStore.event(c, cycle, "cycle.iteration_not_started", score + " < " + it.untilScore()
                    + ", but this was iteration " + iteration + " of at most " + it.maxIterations());
            return;
        }
        Duration delay = it.delay() == null ? Duration.ZERO : Params.parseDuration(it.delay());
        try (PreparedStatement ps = c.prepareStatement(
                "update cycle set next_iteration_at = now() + ? * interval '1 millisecond' where id = ?")) {
            ps.setLong(1, delay.toMillis());
            ps.setObject(2, cycle);
            ps.executeUpdate();
        }
        CycleStore.event(c, cycle, "cycle.iteration_scheduled", score + " < " + it.untilScore() + ": iteration "
                + (iteration + 1) + " of at most " + it.maxIterations() + " starts in " + delay);
    }
}
