package io.cyclefleet.handler;

import static io.cyclefleet.handler.TestingFixtures.context;
import static io.cyclefleet.handler.TestingFixtures.handler;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cyclefleet.task.TaskResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP smoke suites given in the spec, against a real HTTP server started here. */
class SmokeSuiteTest {

    static HttpServer server;
    static ExecutorService pool;
    static String base;
    static final AtomicLong endlessWritten = new AtomicLong();
    static final AtomicBoolean endlessAbandoned = new AtomicBoolean();

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/health", x -> reply(x, 200, "{\"status\":\"UP\",\"version\":\"2.4.1\",\"checks\":{\"db\":\"UP\"}}"));
        server.createContext("/broken", x -> reply(x, 500, "boom"));
        server.createContext("/slow", x -> {
            try {
                Thread.sleep(400); // the latency under test, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(x, 200, "slow but fine");
        });
        server.createContext("/endless", SmokeSuiteTest::endless);
        pool = Executors.newFixedThreadPool(4);
        server.setExecutor(pool);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        pool.shutdownNow();
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    /** 64 KiB chunks until the client goes away (or 1 GiB, should it never). */
    private static void endless(HttpExchange x) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (x) {
            x.sendResponseHeaders(200, 0);
            for (long left = 1L << 30; left > 0; left -= chunk.length) {
                x.getResponseBody().write(chunk);
                endlessWritten.addAndGet(chunk.length);
            }
        } catch (IOException e) {
            endlessAbandoned.set(true);
        }
    }

    private static TaskResult smoke(String checks) throws Exception {
        return handler(Map.of()).handle(context("{\"smoke\":" + checks.replace("BASE", base) + "}"));
    }

    private static TaskResult smoke(String checks, double minPassRate) throws Exception {
        return handler(Map.of()).handle(context("{\"smoke\":" + checks.replace("BASE", base) + ",\"minPassRate\":" + minPassRate + "}"));
    }

    @Test
    void passingChecksReportTheirMetricsAndScoreTen() throws Exception {
        TaskResult r = smoke("""
                [{"name":"health","url":"BASE/health","expectStatus":200,"bodyContains":"UP","json":{"pointer":"/checks/db","equals":"UP"},
                  "maxLatency":"PT5S"},
                 {"name":"error-page","url":"BASE/broken","expectStatus":500,"bodyContains":"boom"}]""");
        assertEquals(2.0, r.metrics().get("checks"));
        assertEquals(2.0, r.metrics().get("passed"));
        assertEquals(1.0, r.metrics().get("pass_rate"));
        assertTrue(r.metrics().get("latency_ms_max") > 0, r.metrics().toString());
        assertEquals(10.0, r.score());
        assertEquals("health", r.summary().get("checks").get(0).get("name").asText());
        assertEquals(500, r.summary().get("checks").get(1).get("status").asInt());
        assertNull(r.problem());
    }

    @Test
    void eachFailingExpectationIsNamedWithItsTargetAndCause() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // free once closed: nothing listens there
        }
        TestingHandler.TestsFailed f = assertThrows(TestingHandler.TestsFailed.class, () -> smoke("""
                [{"name":"health","url":"BASE/health","json":{"pointer":"/status","equals":"UP"}},
                 {"name":"status","url":"BASE/broken"},
                 {"name":"version","url":"BASE/health","json":{"pointer":"/version","equals":"9.9.9"}},
                 {"name":"body","url":"BASE/health","bodyContains":"DOWN"},
                 {"name":"latency","url":"BASE/slow","maxLatency":"PT0.1S"},
                 {"name":"gone","url":"http://127.0.0.1:%d/health","timeout":"PT2S"}]""".formatted(closed)));
        assertFalse(f.retryable());
        String m = f.getMessage();
        assertTrue(m.startsWith("smoke checks: 1 of 6 passed (pass rate 0.17, minimum 1.00)"), m);
        assertTrue(m.contains("status (" + base + "): status 500, expected 200"), m);
        assertTrue(m.contains("version (" + base + "): /version is \"2.4.1\", expected \"9.9.9\""), m);
        assertTrue(m.contains("body (" + base + "): body does not contain 'DOWN'"), m);
        assertTrue(m.matches("(?s).*latency \\(" + base + "\\): took \\d+ ms, limit 100 ms.*"), m);
        assertTrue(m.contains("gone (http://127.0.0.1:" + closed + "): no response: ConnectException: could not connect"), m);

        TaskResult r = f.result();
        assertEquals(6.0, r.metrics().get("checks"));
        assertEquals(1.0, r.metrics().get("passed"));
        assertEquals(0.1667, r.metrics().get("pass_rate"));
        assertEquals(2.5, r.score());
        assertTrue(r.metrics().get("latency_ms_max") >= 400, "the slow endpoint's latency: " + r.metrics());
        assertTrue(r.metrics().get("latency_ms_max") < 2000, "the unreachable check's timeout is not a latency: " + r.metrics());
        assertEquals(0, r.summary().get("checks").get(5).get("status").asInt());
    }

    @Test
    void anUnresolvableHostIsNamedWithItsCause() throws Exception {
        TestingHandler.TestsFailed f = assertThrows(TestingHandler.TestsFailed.class,
                () -> smoke("[{\"name\":\"dns\",\"url\":\"http://no-such-host.invalid:8080/health\",\"timeout\":\"PT2S\"}]"));
        assertTrue(f.getMessage().contains("dns (http://no-such-host.invalid:8080): no response: ConnectException: host name not resolved"),
                f.getMessage());
        assertEquals(1.0, f.result().score());
        assertNull(f.result().metrics().get("latency_ms_max"), "no response, no latency");
    }

    @Test
    void aLowerMinimumPassRateLetsSomeChecksFail() throws Exception {
        TaskResult r = smoke("""
                [{"name":"health","url":"BASE/health"},{"name":"slow","url":"BASE/slow"},{"name":"status","url":"BASE/broken"}]""", 0.5);
        assertEquals(2.0, r.metrics().get("passed"));
        assertEquals(0.6667, r.metrics().get("pass_rate"));
        assertEquals(7.0, r.score());
        assertEquals("status (" + base + "): status 500, expected 200", r.summary().get("checks").get(2).get("failures").get(0).asText());
    }

    @Test
    void aCheckWhoseBodyNeverEndsFailsAtTheBodyLimitAndStopsDownloading() {
        long start = System.nanoTime();
        TestingHandler.TestsFailed f = assertThrows(TestingHandler.TestsFailed.class,
                () -> smoke("[{\"name\":\"endless\",\"url\":\"BASE/endless\",\"timeout\":\"PT30S\"}]"));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs < 5000, "failed at the limit, not at the timeout: " + tookMs + " ms");
        assertTrue(f.getMessage().contains("endless (" + base + "): no response: response body exceeds the 1 MiB limit"), f.getMessage());
        assertEquals(0, f.result().summary().get("checks").get(0).get("status").asInt());
        await("the client closes the connection").atMost(10, SECONDS).until(endlessAbandoned::get);
        assertTrue(endlessWritten.get() < 64L << 20, "written " + endlessWritten.get());
    }
}
