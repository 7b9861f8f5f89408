package io.cyclefleet.task;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The fence of every write a run makes besides its result (its deployment intents, its report): the task's row is still
 * RUNNING at the run's attempt and held by the run's worker. A run that was cancelled, redelivered or taken over by
 * another worker writes nothing. Results and hand-backs apply the same condition to whole batches in {@link TaskStore}.
 */
public final class AttemptFence {

    private AttemptFence() {
    }

    /**
     * The condition on the task row {@code alias}; its three parameters are bound by {@link #bind}. IS TRUE: the row by
     * primary key, never a partial index on the status (see TaskStore).
     */
    public static String holds(String alias) {
        return "%1$s.id = ? and %1$s.attempt = ? and ((%1$s.status = '%2$s' and %1$s.worker_id = ?) is true)".formatted(alias,
                TaskStatus.RUNNING);
    }

    /** Binds the task id, attempt and worker from parameter {@code first} on; returns the next parameter's index. */
    public static int bind(PreparedStatement ps, int first, long taskId, int attempt, String workerId) throws SQLException {
        ps.setLong(first, taskId);
        ps.setInt(first + 1, attempt);
        ps.setString(first + 2, workerId);
        return first + 3;
    }
}
