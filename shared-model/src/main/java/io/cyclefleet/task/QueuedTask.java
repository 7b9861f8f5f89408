package io.cyclefleet.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** A task that Postgres says is QUEUED at {@code attempt} and must be on the queue's stream. */
public record QueuedTask(long id, int attempt, String queue, Priority priority) {

    /** Reads rows whose first four columns are id, attempt, queue, priority (the RETURNING of every queueing statement). */
    public static List<QueuedTask> readAll(ResultSet rs) throws SQLException {
        List<QueuedTask> out = new ArrayList<>();
        while (rs.next()) {
            out.add(new QueuedTask(rs.getLong(1), rs.getInt(2), rs.getString(3), Priority.fromWire(rs.getString(4))));
        }
        return out;
    }
}
