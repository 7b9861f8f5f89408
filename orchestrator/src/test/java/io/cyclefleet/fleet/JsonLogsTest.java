package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** With JSON logs switched on, a worker's lines of task work carry the cycle, the task and the attempt. */
@QuarkusTest
class JsonLogsTest {

    @Test
    void linesOfTaskWorkCarryCycleTaskAndAttempt() throws Exception {
        try (WorkerProcess worker = WorkerProcess.builder("json-logs").with("quarkus.log.console.json.enabled", "true").start()) {
            UUID cycle = submit(Map.of("name", "json-logs", "steps", List.of(Map.of("key", "boom", "kind", "fail",
                    "params", Map.of("times", 9), "retry", Map.of("maxAttempts", 1)))));
            assertEquals("FAILED", awaitEnd(cycle, Duration.ofSeconds(30)).getString("status"));
            ObjectMapper json = new ObjectMapper();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> worker.log().contains("failed on attempt"));
            List<JsonNode> lines = new ArrayList<>();
            for (String line : worker.log().split("\n")) {
                if (!line.isBlank()) {
                    lines.add(json.readTree(line)); // every line is JSON
                }
            }
            JsonNode failure = lines.stream().filter(l -> l.path("message").asText().contains("failed on attempt")).findFirst().orElseThrow();
            assertEquals(cycle.toString(), failure.at("/mdc/cycleId").asText(), failure.toString());
            assertEquals("1", failure.at("/mdc/attempt").asText(), failure.toString());
            assertTrue(failure.at("/mdc/taskId").asText().matches("\\d+"), failure.toString());
        }
    }
}
