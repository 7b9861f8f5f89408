package io.cyclefleet.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.UUID;

/**
 * What happened to task rows, from the test-only audit trigger (src/test/resources/db/test-migration): every change of
 * status or attempt, and every write to a finished row. Independent of the product's timeline, which a broken
 * statement could skip writing.
 */
public final class TaskHistory {

    private TaskHistory() {
    }

    /**
     * The cycle has {@code tasks} SUCCEEDED tasks, each moved into SUCCEEDED once, and no row was written again after it
     * finished (an overwrite at the same attempt would change no status and leave no event, but it is a write).
     */
    public static void assertEachTaskSucceededExactlyOnce(UUID cycle, int tasks) {
        assertEquals(tasks, Db.count("select count(*) from task where cycle_id = ? and status = 'SUCCEEDED'", cycle), "tasks SUCCEEDED");
        assertEquals(tasks, Db.count("""
                select count(*) from test_task_history where cycle_id = ? and new_status = 'SUCCEEDED' and old_status <> 'SUCCEEDED'""", cycle),
                "moves into SUCCEEDED: a task succeeded more than once");
        assertNoWriteAfterFinishing(cycle);
    }

    /** No row of the cycle was written after it had SUCCEEDED. */
    public static void assertNoWriteAfterFinishing(UUID cycle) {
        assertEquals(0, Db.count("select count(*) from test_task_history where cycle_id = ? and old_status = 'SUCCEEDED'", cycle),
                "writes to a task row after it had succeeded");
    }

    /** Writes of any kind to the task's row (status, attempt, or anything once finished) recorded since {@code afterSeq}. */
    public static long writesSince(long task, long afterSeq) {
        return Db.count("select count(*) from test_task_history where task_id = ? and seq > ?", task, afterSeq);
    }

    /** The audit's position now, for {@link #writesSince}. */
    public static long now() {
        return Db.count("select coalesce(max(seq), 0) from test_task_history");
    }
}
