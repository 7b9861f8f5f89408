package io.cyclefleet.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.outbound.Outbound;
import io.cyclefleet.outbound.Prometheus;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.TaskResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Smoke checks and Argo-style metric analysis against real local servers (and a real Prometheus when installed). */
class VerificationHandlerTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static VerificationHandler handler() {
        HttpCalls http = new HttpCalls(new Outbound());
        return new VerificationHandler(http, new Prometheus(http, JSON), JSON, null);
    }

    static TaskContext context(String params) throws Exception {
        return new TaskContext(1, UUID.randomUUID(), "verify", 1, JSON.readTree(params), Instant.now().plusSeconds(60));
    }

    static String analysis(String url, int count, int failureLimit, int inconclusiveLimit) {
        return """
                {"analysis": [{"name": "error_rate", "provider": {"http": {"url": "%s", "pointer": "/errorRate"}},
                               "interval": "PT0.1S", "count": %d, "successCondition": {"op": "<=", "threshold": 0.05},
                               "failureLimit": %d, "inconclusiveLimit": %d}]}""".formatted(url, count, failureLimit, inconclusiveLimit);
    }

    @Test
    void aHealthyTargetPassesSmokeAndAnalysis() throws Exception {
        try (LocalHttp s = new LocalHttp()
                .on("/health", ex -> LocalHttp.send(ex, 200, "{\"status\":\"UP\"}"))
                .on("/stats", ex -> LocalHttp.send(ex, 200, "{\"errorRate\":0.01}"))) {
            TaskResult r = handler().handle(context("""
                    {"smoke": [{"name": "health", "url": "%s", "expectStatus": 200, "json": {"pointer": "/status", "equals": "UP"}}],
                     "analysis": %s}""".formatted(s.url("/health"), JSON.readTree(analysis(s.url("/stats"), 3, 0, 0)).get("analysis"))));
            assertEquals(10.0, r.score());
            assertEquals(1.0, r.metrics().get("smoke.passed"));
            assertEquals(3.0, r.metrics().get("error_rate.successful"));
            assertEquals(0.01, r.metrics().get("error_rate"));
            assertEquals("Successful", r.summary().at("/analysis/0/phase").asText());
        }
    }

    @Test
    void measurementsBreachingTheConditionFailTheStepNamingObservedAndThreshold() throws Exception {
        AtomicReference<String> rate = new AtomicReference<>("0.01");
        try (LocalHttp s = new LocalHttp().on("/stats", ex -> {
            LocalHttp.send(ex, 200, "{\"errorRate\":" + rate.get() + "}");
            rate.set("0.31");
        })) {
            TaskFailure f = assertThrows(TaskFailure.class, () -> handler().handle(context(analysis(s.url("/stats"), 5, 1, 0))));
            assertFalse(f.retryable(), "a failed verdict is not retried");
            assertTrue(f.getMessage().contains("analysis error_rate failed: 2 of 3 measurements breached result <= 0.05 (observed 0.31, 0.31; failure limit 1)"),
                    f.getMessage());
            assertEquals(0.31, f.measured().metrics().get("error_rate"), "the measurements are kept for the incident");
            assertEquals(2.0, f.measured().metrics().get("error_rate.failed"));
            assertEquals(3, f.measured().summary().at("/analysis/0/measurements").size(), "stops once the verdict cannot change");
        }
    }

    @Test
    void aProviderThatCannotAnswerMakesTheAnalysisInconclusive() throws Exception {
        try (LocalHttp s = new LocalHttp().on("/stats", ex -> LocalHttp.send(ex, 503, "down"))) {
            TaskFailure f = assertThrows(TaskFailure.class, () -> handler().handle(context(analysis(s.url("/stats"), 3, 0, 1))));
            assertTrue(f.getMessage().contains("analysis error_rate inconclusive: 2 of 2 measurements had no data or errors (limit 1)"), f.getMessage());
            assertTrue(f.getMessage().contains("http://127.0.0.1:" + s.port() + ": HTTP 503"), f.getMessage());
        }
    }

    @Test
    void aFailingSmokeCheckNamesTheTargetAndWhatWasWrong() throws Exception {
        int closed = LocalHttp.closedPort();
        try (LocalHttp s = new LocalHttp()
                .on("/health", ex -> LocalHttp.send(ex, 200, "{\"status\":\"DOWN\"}"))
                .on("/slow", ex -> {
                    try {
                        Thread.sleep(300); // the slow endpoint under test
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    LocalHttp.send(ex, 200, "ok");
                })) {
            TaskFailure f = assertThrows(TaskFailure.class, () -> handler().handle(context("""
                    {"smoke": [{"name": "health", "url": "%s", "json": {"pointer": "/status", "equals": "UP"}},
                               {"name": "slow", "url": "%s", "maxLatency": "PT0.1S"},
                               {"name": "gone", "url": "http://127.0.0.1:%d/", "timeout": "PT1S"}]}""".formatted(
                    s.url("/health"), s.url("/slow"), closed))));
            assertTrue(f.getMessage().contains("health (http://127.0.0.1:" + s.port() + "): /status is \"DOWN\", expected \"UP\""), f.getMessage());
            assertTrue(f.getMessage().contains("slow (http://127.0.0.1:" + s.port() + "): took"), f.getMessage());
            assertTrue(f.getMessage().contains("gone (http://127.0.0.1:" + closed + "): no response: ConnectException"), f.getMessage());
            assertEquals(3.0, f.measured().metrics().get("smoke.failed"));
        }
    }

    @Test
    void analysisReadsAPrometheusQuery() throws Exception {
        try (LocalHttp target = new LocalHttp().on("/metrics", ex -> LocalHttp.send(ex, 200, "demo_error_ratio 0.3\n"));
             RealPrometheus prom = RealPrometheus.scraping(target.port())) {
            prom.awaitValue("demo_error_ratio", Duration.ofSeconds(30));
            TaskFailure f = assertThrows(TaskFailure.class, () -> handler().handle(context("""
                    {"analysis": [{"name": "error_rate", "provider": {"prometheus": {"url": "%s", "query": "max(demo_error_ratio)"}},
                                   "interval": "PT0.1S", "count": 2, "successCondition": {"op": "<=", "threshold": 0.05}}]}""".formatted(prom.url()))));
            assertTrue(f.getMessage().contains("breached result <= 0.05 (observed 0.3"), f.getMessage());
        }
    }
}
