package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.step;
import static io.cyclefleet.support.Cycles.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.support.Db;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Quality gates between assessment/testing and deployment, driven by the metric kind. */
@QuarkusTest
class QualityGateTest {

    private WorkerProcess worker;

    @BeforeEach
    void startWorker() throws Exception {
        worker = WorkerProcess.builder("gate-a").start();
    }

    @AfterEach
    void stopWorker() throws InterruptedException {
        worker.close();
    }

    private static Map<String, Object> cycle(String name, double errorRate, int assessScore, int testScore) {
        return Map.of("name", name,
                "steps", List.of(
                        step("assess", "metric", Map.of("metrics", Map.of("error_rate", errorRate), "score", assessScore)),
                        step("test", "metric", Map.of("metrics", Map.of("pass_rate", 1.0), "score", testScore)),
                        step("deploy", "noop", Map.of(), "pre-deploy")),
                "gates", List.of(Map.of("key", "pre-deploy", "dependsOn", List.of("assess", "test"),
                        "conditions", List.of(
                                Map.of("step", "assess", "metric", "error_rate", "op", "<=", "threshold", 0.01),
                                Map.of("aggregate", "averageScore", "op", ">=", "threshold", 8)))));
    }

    @Test
    void aPassingGateLetsTheDeployRun() {
        UUID id = submit(cycle("gate-pass", 0.004, 9, 8));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("SUCCEEDED", c.getString("status"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'pre-deploy' }.status"));
        assertEquals("pass", c.getString("tasks.find { it.key == 'pre-deploy' }.result.verdict"));
        assertEquals("SUCCEEDED", c.getString("tasks.find { it.key == 'deploy' }.status"));
        assertEquals(1, Db.count("select count(*) from gate_evaluation where cycle_id = ? and verdict = 'pass'", id));
    }

    @Test
    void aFailingGateBeforeDeployMeansNoDeployHappens() {
        UUID id = submit(cycle("gate-fail", 0.034, 9, 6));
        JsonPath c = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("FAILED", c.getString("status"));
        assertTrue(c.getString("error").contains("pre-deploy"), c.getString("error"));
        String gateError = c.getString("tasks.find { it.key == 'pre-deploy' }.error");
        assertTrue(gateError.contains("assess.error_rate <= 0.01 (observed 0.034)"), gateError);
        assertTrue(gateError.contains(">= 8 (observed 7.5)"), gateError);
        assertEquals("SKIPPED", c.getString("tasks.find { it.key == 'deploy' }.status"));
        assertEquals(0, Db.count("select count(*) from task where cycle_id = ? and step_key = 'deploy' and started_at is not null", id),
                "the deploy step never ran");
        assertEquals(1, Db.count("select count(*) from gate_evaluation where cycle_id = ? and verdict = 'fail' "
                + "and conditions @> '[{\"condition\": \"assess.error_rate\", \"observed\": 0.034, \"verdict\": \"fail\"}]'", id),
                "the evaluation is stored with its inputs");
    }
}
