package io.cyclefleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.cyclefleet.handler.LocalHttp;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.outbound.Outbound;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The webhook adapter against a real HTTP receiver on localhost, driven as Deployments drives it. */
class WebhookAdapterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH = "/hooks/deploy";
    private static final String CURRENT = "/hooks/current";
    private static final String SECRET_QUERY = "?token=secret";
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final WebhookAdapter adapter = new WebhookAdapter(new HttpCalls(new Outbound()), JSON);
    private final UUID cycle = UUID.randomUUID();
    /** What the receiver was sent, in order. */
    private final List<Request> received = new CopyOnWriteArrayList<>();

    record Request(String method, String contentType, String query, JsonNode body) {
    }

    /** A webhook adapter named "hook" posting to {@code url} (none when null), reading no current version. */
    static NamedAdapter hook(String url, Duration timeout) {
        return new NamedAdapter("hook", AdapterSettings.webhook(url, null, timeout));
    }

    private TaskContext context(String step) {
        return new TaskContext(1, cycle, step, 1, JSON.createObjectNode(), Instant.now().plusSeconds(60));
    }

    /** A deploy as Deployments makes it: observe, then converge. */
    private Deployed deploy(NamedAdapter hook, String version, long token) throws Exception {
        Observed seen = adapter.observe(hook, context("deploy"));
        return adapter.converge(hook, TestIntents.deploy(token, version, seen, hook.settings().timeout()), context("deploy"));
    }

    private void record(HttpExchange ex) throws IOException {
        received.add(new Request(ex.getRequestMethod(), ex.getRequestHeaders().getFirst("Content-Type"), ex.getRequestURI().getQuery(),
                JSON.readTree(ex.getRequestBody().readAllBytes())));
    }

    /** A receiver that records each request and answers {@code status} with {@code body}. */
    private LocalHttp answering(int status, String body) throws IOException {
        return new LocalHttp().on(PATH, ex -> {
            record(ex);
            LocalHttp.send(ex, status, body);
        });
    }

    private JsonNode body(String action, String version, String previousVersion, String step, int token) {
        return JSON.createObjectNode().put("action", action).put("version", version).put("previousVersion", previousVersion)
                .put("cycleId", cycle.toString()).put("step", step).put("fencingToken", token);
    }

    @Test
    void aDeployPostsItsFencingTokenAndTheVersionItReplacesReadFromTheCurrentVersionUrl() throws Exception {
        try (LocalHttp receiver = answering(200, "ok").on(CURRENT, ex -> LocalHttp.send(ex, 200, "v1\n"))) {
            NamedAdapter hook = new NamedAdapter("hook", AdapterSettings.webhook(receiver.url(PATH), receiver.url(CURRENT), TEN_SECONDS));

            Deployed d = deploy(hook, "v2", 17);

            assertEquals(List.of(new Request("POST", "application/json", null, body("deploy", "v2", "v1", "deploy", 17))), received);
            assertEquals(new Deployed("hook", "v2", "v1", Map.of("httpStatus", 200, "fencingToken", 17L)), d);
        }
    }

    @Test
    void theCurrentVersionUrlMayAnswerTextOrJson() throws Exception {
        List<String> answers = new CopyOnWriteArrayList<>(List.of("v1\n", "{\"version\":\"v2\",\"deployedAt\":\"2026-12-07T14:00:00Z\"}", "none"));
        try (LocalHttp receiver = new LocalHttp().on(CURRENT, ex -> LocalHttp.send(ex, 200, answers.remove(0)))) {
            NamedAdapter hook = new NamedAdapter("hook", AdapterSettings.webhook(null, receiver.url(CURRENT), TEN_SECONDS));
            assertEquals(Observed.version("v1"), adapter.observe(hook, context("deploy")));
            assertEquals(Observed.version("v2"), adapter.observe(hook, context("deploy")));
            assertEquals(new Observed(null, true, Map.of()), adapter.observe(hook, context("deploy")), "known to run nothing");
        }
    }

    @Test
    void aCurrentVersionUrlAnsweringAnErrorFailsNamingOnlyItsOriginAndNothingIsPosted() throws Exception {
        AtomicInteger status = new AtomicInteger(503);
        try (LocalHttp receiver = answering(200, "ok").on(CURRENT, ex -> LocalHttp.send(ex, status.get(), "maintenance"))) {
            NamedAdapter hook = new NamedAdapter("hook",
                    AdapterSettings.webhook(receiver.url(PATH), receiver.url(CURRENT + SECRET_QUERY), TEN_SECONDS));
            TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(hook, "v2", 17));
            assertTrue(f.retryable(), "a 5xx may pass");
            assertEquals("adapter 'hook' (http://127.0.0.1:" + receiver.port() + "): reading the current version answered HTTP 503: maintenance",
                    f.getMessage());

            status.set(404);
            TaskFailure notThere = assertThrows(TaskFailure.class, () -> deploy(hook, "v2", 17));
            assertFalse(notThere.retryable());
            assertFalse(notThere.getMessage().contains("secret") || notThere.getMessage().contains(CURRENT), notThere.getMessage());
            assertEquals(List.of(), received, "nothing acts on a target whose version could not be read");
        }
    }

    @Test
    void noTimeLeftPostsNothing() throws Exception {
        try (LocalHttp receiver = answering(200, "ok")) {
            NamedAdapter hook = hook(receiver.url(PATH), TEN_SECONDS);
            Intent expired = TestIntents.deploy(17, "v2", Observed.version("v1"), Duration.ofMillis(-1));
            TaskFailure f = assertThrows(TaskFailure.class, () -> adapter.converge(hook, expired, context("deploy")));
            assertTrue(f.retryable());
            assertEquals("adapter 'hook': no time left to act within its timeout of PT10S", f.getMessage());
            assertEquals(List.of(), received);
        }
    }

    @Test
    void withoutACurrentVersionUrlTheVersionTheReceiverReportsIsThePreviousOne() throws Exception {
        try (LocalHttp receiver = answering(200, "{\"previousVersion\":\"v1\"}")) {
            NamedAdapter hook = hook(receiver.url(PATH + SECRET_QUERY), TEN_SECONDS);
            assertEquals(Observed.unknown(), adapter.observe(hook, context("deploy")), "nothing to read the running version from");
            Deployed d = deploy(hook, "v2", 7);
            assertEquals(new Deployed("hook", "v2", "v1", Map.of("httpStatus", 200, "fencingToken", 7L)), d);
            assertEquals(List.of(new Request("POST", "application/json", "token=secret", body("deploy", "v2", null, "deploy", 7))), received);
        }
    }

    @Test
    void rollbackPostsTheVersionToRestoreAndTheOneItReplaces() throws Exception {
        // The receiver keeps the running version and reports the one each call replaced.
        String[] running = {"v1"};
        try (LocalHttp receiver = new LocalHttp().on(PATH, ex -> {
            record(ex);
            String replaced;
            synchronized (running) {
                replaced = running[0];
                running[0] = received.get(received.size() - 1).body().get("version").asText();
            }
            LocalHttp.send(ex, 200, JSON.createObjectNode().put("previousVersion", replaced).toString());
        })) {
            NamedAdapter hook = hook(receiver.url(PATH), TEN_SECONDS);
            Deployed deployed = deploy(hook, "v2", 7);
            Intent rollback = TestIntents.rollback(8, deployed.previousVersion(), adapter.observe(hook, context("rollback")), Map.of(),
                    TEN_SECONDS);
            Deployed back = adapter.converge(hook, rollback, context("rollback"));
            assertEquals(new Deployed("hook", "v1", "v2", Map.of("httpStatus", 200, "fencingToken", 8L)), back);
            assertEquals(body("rollback", "v1", null, "rollback", 8), received.get(1).body(),
                    "without a current-version-url the adapter cannot tell what runs: the receiver answers it");
            synchronized (running) {
                assertEquals("v1", running[0], "the receiver moved back");
            }
        }
    }

    @Test
    void aServerErrorIsRetryableNamesOnlyTheReceiversOriginAndIsNotRetriedInPlace() throws Exception {
        try (LocalHttp receiver = answering(500, "database is locked")) {
            NamedAdapter hook = hook(receiver.url(PATH + SECRET_QUERY), TEN_SECONDS);
            TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(hook, "v2", 7));
            assertTrue(f.retryable(), "the step's retry policy may try again");
            assertEquals("adapter 'hook' (http://127.0.0.1:" + receiver.port() + "): deploy answered HTTP 500: database is locked",
                    f.getMessage());
            assertFalse(f.getMessage().contains("secret") || f.getMessage().contains(PATH), f.getMessage());
            assertEquals(1, received.size(), "a deploy is not idempotent: sent once, never retried within the attempt");
        }
    }

    @Test
    void aClientErrorIsNotRetryable() throws Exception {
        try (LocalHttp receiver = answering(400, "unknown version v2")) {
            NamedAdapter hook = hook(receiver.url(PATH), TEN_SECONDS);
            TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(hook, "v2", 7));
            assertFalse(f.retryable());
            assertEquals("adapter 'hook' (http://127.0.0.1:" + receiver.port() + "): deploy answered HTTP 400: unknown version v2",
                    f.getMessage());
            assertEquals(1, received.size());
        }
    }

    @Test
    void withoutAUrlTheConfigurationKeyIsNamed() {
        TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(hook(null, TEN_SECONDS), "v2", 7));
        assertFalse(f.retryable());
        assertEquals("adapter 'hook' has no url configured (cyclefleet.adapters.hook.url)", f.getMessage());
    }

    @Test
    void aReceiverThatNeverAnswersFailsAtTheAdaptersTimeout() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (LocalHttp receiver = new LocalHttp().on(PATH, ex -> {
            record(ex);
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        })) {
            try {
                Duration timeout = Duration.ofMillis(500);
                NamedAdapter hook = hook(receiver.url(PATH + SECRET_QUERY), timeout);
                long start = System.nanoTime();
                TaskFailure f = assertThrows(TaskFailure.class, () -> deploy(hook, "v2", 7));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "failed after " + took + ", its timeout is " + timeout);
                assertTrue(f.retryable(), "no answer is not a verdict: the step's retry policy decides");
                assertTrue(f.getMessage().startsWith("http://127.0.0.1:" + receiver.port() + ": HttpTimeoutException"), f.getMessage());
                assertFalse(f.getMessage().contains("secret"), f.getMessage());
            } finally {
                release.countDown();
            }
        }
    }
}
