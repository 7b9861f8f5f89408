package io.cyclefleet.task;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskResultTest {

    @Test
    void scoresOutsideOneToTenAndBadMetricsAreRejected() {
        assertNull(new TaskResult(null, Map.of("p99_ms", 120.0), 8.5).problem());
        assertTrue(new TaskResult(null, Map.of(), 0.5).problem().contains("outside 1..10"));
        assertTrue(new TaskResult(null, Map.of(), 10.5).problem().contains("outside 1..10"));
        assertTrue(new TaskResult(null, Map.of("x", Double.NaN), null).problem().contains("finite"));
        assertTrue(new TaskResult(null, Map.of("bad name", 1.0), null).problem().contains("must match"));
        Map<String, Double> many = new HashMap<>();
        for (int i = 0; i <= TaskResult.MAX_METRICS; i++) {
            many.put("m" + i, 1.0);
        }
        assertTrue(new TaskResult(null, many, null).problem().contains("limit"));
    }
}
