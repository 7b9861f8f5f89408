package io.cyclefleet.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.cyclefleet.cycle.CycleAdvancer;
import io.cyclefleet.support.Db;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The statements that take tasks by id reach them by primary key whatever the planner's statistics say. With statistics
 * taken while no task was QUEUED or PENDING (an idle fleet), a plain {@code status = 'QUEUED'} made the generic plan
 * scan the whole partial index of active tasks instead: under load, the backlog read on every claim. Results,
 * hand-backs and heartbeats ({@code status = 'RUNNING' and worker_id = ?}) did the same until the next pass found them
 * (9 ms per result batch in a fan-out, the most expensive statement of all).
 */
class QueryPlanTest {

    private static final Pattern INDEX = Pattern.compile("(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using|on) (\\w+)");

    @Test
    void statementsByIdUseThePrimaryKeyEvenWhenStatisticsSawNoActiveTasks() throws Exception {
        Map<String, String> byId = new LinkedHashMap<>();
        byId.put("claim", sql(TaskStore.class, "CLAIM"));
        byId.put("dispatch mark", sql(TaskStore.class, "MARK_DISPATCHED"));
        byId.put("result", sql(TaskStore.class, "COMPLETE"));
        byId.put("hand-back of a started run", sql(TaskStore.class, "STOP"));
        byId.put("hand-back of an unstarted run", sql(TaskStore.class, "HAND_BACK"));
        byId.put("heartbeat", sql(TaskStore.class, "RENEW"));
        byId.put("advancer queue", sql(CycleAdvancer.class, "QUEUE"));
        byId.put("advancer skip", sql(CycleAdvancer.class, "SKIP"));
        try (Connection c = Db.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            // a temporary "task" (searched before public) with the real one's indexes, 20,000 finished rows and their statistics
            st.execute("create temp table task (like public.task including all) on commit drop");
            st.execute("insert into task (cycle_id, step_key, kind, queue, priority, status, max_attempts, backoff_ms, max_backoff_ms, "
                    + "timeout_ms) select gen_random_uuid(), 's', 'noop', 'q', 'normal', 'SUCCEEDED', 1, 0, 0, 0 from generate_series(1, 20000)");
            st.execute("analyze task");
            st.execute("set local plan_cache_mode = force_generic_plan");
            for (Map.Entry<String, String> statement : byId.entrySet()) {
                String[] parts = statement.getValue().split("\\?", -1);
                StringBuilder prepared = new StringBuilder(parts[0]);
                for (int i = 1; i < parts.length; i++) {
                    prepared.append('$').append(i).append(parts[i]);
                }
                st.execute("prepare s as " + prepared);
                StringBuilder plan = new StringBuilder();
                try (ResultSet rs = st.executeQuery("explain execute s(" + String.join(", ",
                        java.util.Collections.nCopies(parts.length - 1, "null")) + ")")) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
                st.execute("deallocate s");
                List<String> indexes = new ArrayList<>();
                Matcher m = INDEX.matcher(plan);
                while (m.find()) {
                    if (m.group(1).startsWith("task_")) { // a result also ends its deployment intents
                        indexes.add(m.group(1));
                    }
                }
                assertFalse(indexes.isEmpty(), statement.getKey() + ":\n" + plan);
                assertEquals(List.of("task_pkey"), indexes.stream().distinct().toList(),
                        statement.getKey() + " reaches tasks by primary key only:\n" + plan);
            }
            c.rollback();
        }
    }

    /**
     * The advancer asks, for each cycle of a batch, whether a step waits or fails and whether anything is still under
     * way. Those checks must probe each cycle's tasks through an index: without (cycle_id, status) the planner chose,
     * from five cycles up, to hash the whole task table once per check (90 ms with 80,000 tasks, growing with the
     * retained history).
     */
    @Test
    void theAdvancersChecksOfWhatIsLeftToDecideNeverScanEveryTask() throws Exception {
        String lock = sql(CycleAdvancer.class, "LOCK");
        try (Connection c = Db.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("create temp table cycle (like public.cycle including all) on commit drop");
            st.execute("create temp table task (like public.task including all) on commit drop");
            st.execute("insert into cycle (id, name, status, spec) select gen_random_uuid(), 'c', 'SUCCEEDED', '{}' from generate_series(1, 40)");
            st.execute("insert into task (cycle_id, step_key, kind, queue, priority, status, max_attempts, backoff_ms, max_backoff_ms, "
                    + "timeout_ms) select c.id, 's' || g, 'noop', 'q', 'normal', 'SUCCEEDED', 1, 0, 0, 0 from cycle c, generate_series(1, 1000) g");
            st.execute("analyze cycle");
            st.execute("analyze task");
            String ids = "'{" + String.join(",", uuids(st)) + "}'";
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = st.executeQuery("explain " + lock.replace("any(?)", "any(" + ids + "::uuid[])"))) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            assertFalse(plan.toString().contains("Seq Scan on task"), "the advancer's checks scan every task:\n" + plan);
            c.rollback();
        }
    }

    private static List<String> uuids(Statement st) throws java.sql.SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("select id from cycle limit 20")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static String sql(Class<?> owner, String name) throws ReflectiveOperationException {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        return (String) f.get(null);
    }
}
