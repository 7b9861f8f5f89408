package io.cyclefleet.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.outbound.Outbound;
import io.cyclefleet.outbound.Prometheus;
import io.cyclefleet.outbound.StoreProbesTest;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.TaskResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The assessment handler against real servers: a local HTTP server, the local Postgres and Redis, and a real Prometheus. */
class AssessmentHandlerTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static AssessmentHandler handler(Map<String, String> postgres, Map<String, String> redis) {
        HttpCalls http = new HttpCalls(new Outbound());
        return new AssessmentHandler(http, new Prometheus(http, JSON), StoreProbesTest.probes(postgres, redis), JSON);
    }

    static TaskContext context(String params) throws Exception {
        return new TaskContext(1, UUID.randomUUID(), "assess", 1, JSON.readTree(params), Instant.now().plusSeconds(60));
    }

    @Test
    void httpProbesMeasureAvailabilityErrorRateAndLatencyAndThresholdsMakeTheScore() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (LocalHttp server = new LocalHttp()
                .on("/ok", ex -> LocalHttp.send(ex, 200, "ok"))
                .on("/flaky", ex -> LocalHttp.send(ex, n.incrementAndGet() % 4 == 0 ? 500 : 200, "x"))) {
            int closed = LocalHttp.closedPort();
            TaskResult r = handler(Map.of(), Map.of()).handle(context("""
                    {"http": [{"name": "ok", "url": "%s", "requests": 10},
                              {"name": "flaky", "url": "%s", "requests": 20, "expectStatus": 200},
                              {"name": "down", "url": "http://127.0.0.1:%d/", "requests": 3, "timeout": "PT1S"}],
                     "thresholds": [{"metric": "ok.error_rate", "op": "<=", "threshold": 0.01},
                                    {"metric": "flaky.error_rate", "op": "<=", "threshold": 0.01},
                                    {"metric": "ok.p99_ms", "op": "<", "threshold": 1000},
                                    {"metric": "down.availability", "op": ">=", "threshold": 0.99},
                                    {"metric": "never.measured", "op": ">", "threshold": 0}]}
                    """.formatted(server.url("/ok"), server.url("/flaky"), closed)));
            assertEquals(1.0, r.metrics().get("ok.availability"));
            assertEquals(0.0, r.metrics().get("ok.error_rate"));
            assertEquals(0.25, r.metrics().get("flaky.error_rate"), "every 4th of 20 answered 500");
            assertEquals(0.0, r.metrics().get("down.availability"));
            assertTrue(r.metrics().get("ok.p50_ms") > 0 && r.metrics().get("ok.p50_ms") <= r.metrics().get("ok.p99_ms"));
            // 2 of 5 thresholds hold: 1 + 9 * 2/5
            assertEquals(4.6, r.score());
            assertEquals("no_data", r.summary().at("/thresholds/4/verdict").asText());
        }
    }

    @Test
    void postgresAndRedisProbesSayUpOrDownWithTheCause() throws Exception {
        int closed = LocalHttp.closedPort();
        TaskResult r = handler(Map.of("local", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres", "gone", "jdbc:postgresql://127.0.0.1:" + closed + "/x"),
                Map.of("local", "redis://127.0.0.1:6379", "gone", "redis://127.0.0.1:" + closed))
                .handle(context("{\"postgres\": [\"local\", \"gone\"], \"redis\": [\"local\", \"gone\"]}"));
        assertEquals(1.0, r.metrics().get("postgres.local.up"));
        assertEquals(0.0, r.metrics().get("postgres.gone.up"));
        assertEquals(1.0, r.metrics().get("redis.local.up"));
        assertEquals(0.0, r.metrics().get("redis.gone.up"));
        String notes = r.summary().get("notes").toString();
        assertTrue(notes.contains("postgres gone") && notes.contains("redis gone (127.0.0.1:" + closed + ")"), notes);
    }

    @Test
    void anUnconfiguredProbeIsRefusedNamingTheKnownOnes() throws Exception {
        TaskFailure f = org.junit.jupiter.api.Assertions.assertThrows(TaskFailure.class,
                () -> handler(Map.of(), Map.of()).handle(context("{\"postgres\": [\"prod\"]}")));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("'prod' is not configured") && f.getMessage().contains("fleet"), f.getMessage());
    }

    @Test
    void prometheusInstantAndRangeQueriesBecomeMetrics() throws Exception {
        try (LocalHttp target = new LocalHttp().on("/metrics", ex -> LocalHttp.send(ex, 200, "test_queue_depth 42\n"));
             RealPrometheus prom = RealPrometheus.scraping(target.port())) {
            prom.awaitValue("test_queue_depth", Duration.ofSeconds(30));
            TaskResult r = handler(Map.of(), Map.of()).handle(context("""
                    {"prometheus": {"url": "%s", "queries": [
                        {"name": "depth", "query": "test_queue_depth"},
                        {"name": "depth_range", "query": "test_queue_depth", "range": "PT1M", "step": "PT1S"},
                        {"name": "nothing", "query": "absent_metric_xyz"}]},
                     "thresholds": [{"metric": "depth", "op": "<", "threshold": 100}]}
                    """.formatted(prom.url())));
            assertEquals(42.0, r.metrics().get("depth"));
            assertEquals(42.0, r.metrics().get("depth_range.max"), r.metrics() + " " + r.summary());
            assertFalse(r.metrics().containsKey("nothing"));
            assertTrue(r.summary().get("notes").toString().contains("nothing: no data"));
            assertEquals(10.0, r.score());
            TaskFailure bad = org.junit.jupiter.api.Assertions.assertThrows(TaskFailure.class, () -> handler(Map.of(), Map.of())
                    .handle(context("{\"prometheus\": {\"url\": \"" + prom.url() + "\", \"queries\": [{\"name\": \"x\", \"query\": \"sum(\"}]}}")));
            assertFalse(bad.retryable(), "a malformed query will not get better");
            assertTrue(bad.getMessage().startsWith("prometheus http://127.0.0.1:" + prom.port() + ": bad_data"), bad.getMessage());
        }
    }

    static JsonNode tree(String s) throws Exception {
        return JSON.readTree(s);
    }
}
