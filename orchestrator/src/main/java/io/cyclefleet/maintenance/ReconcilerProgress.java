package io.cyclefleet.maintenance;

import io.cyclefleet.db.Jdbc;
import io.cyclefleet.task.TaskStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * When the reconciler last ran, in Postgres (table reconciler_state), shared by the orchestrator replicas. A pass that
 * comes after a gap — Postgres was down, or every orchestrator was — must not judge leases at once: while Postgres was
 * unreachable no worker could renew its leases, and expiring them the second it is back would redeliver every task
 * that is in fact running fine, or whose result is about to be written. So after a gap leases are not judged for a
 * grace period ({@code leases_judged_after}, read by {@link TaskStore#expireLeases}), long enough for the workers to
 * heartbeat again.
 */
@ApplicationScoped
public class ReconcilerProgress {

    private final DataSource ds;

    public ReconcilerProgress(DataSource ds) {
        this.ds = ds;
    }

    /**
     * At the start of a pass: returns the gap since the previous pass ended (by Postgres' clock) when it was at least
     * {@code gapAfter}, and then starts the grace. Measured from the previous pass's end, so a pass that is merely slow
     * (Redis timing out) is no gap, and cannot keep the grace going for ever.
     */
    public Optional<Duration> passStarts(Duration gapAfter, Duration grace) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    with previous as (select last_pass_at from reconciler_state where id = 1 for update)
                    insert into reconciler_state (id, last_pass_at, leases_judged_after) values (1, now(), now())
                    on conflict (id) do update set
                        leases_judged_after = case when now() - reconciler_state.last_pass_at >= make_interval(secs => ?)
                                                   then now() + make_interval(secs => ?) else reconciler_state.leases_judged_after end
                    returning (extract(epoch from now() - (select last_pass_at from previous)) * 1000)::bigint""")) {
                ps.setDouble(1, gapAfter.toMillis() / 1000.0);
                ps.setDouble(2, grace.toMillis() / 1000.0);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long gapMs = rs.getLong(1);
                    return rs.wasNull() || gapMs < gapAfter.toMillis() ? Optional.<Duration>empty() : Optional.of(Duration.ofMillis(gapMs));
                }
            }
        });
    }

    /** At the end of a pass. */
    public void passEnded() {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("update reconciler_state set last_pass_at = now() where id = 1")) {
                return ps.executeUpdate();
            }
        });
    }
}
