package io.cyclefleet.queue;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** A task that Postgres says is QUEUED at {@code attempt} and must be on the queue's stream. */
public record QueuedTask(long id, int attempt, String queue, Priority priority, String kind) {

    /** Reads rows whose first five columns are id, attempt, queue, priority, kind (the RETURNING of every queueing statement). */
    public static List<QueuedTask> readAll(ResultSet rs) throws SQLException {
        List<QueuedTask> out = new ArrayList<>();
        while (rs.next()) {
            out.add(read(rs));
        }
        return out;
    }

    /** One row of the shape above. */
    public static QueuedTask read(ResultSet rs) throws SQLException {
        return new QueuedTask(rs.getLong(1), rs.getInt(2), rs.getString(3), Priority.fromWire(rs.getString(4)), rs.getString(5));
    }
}
