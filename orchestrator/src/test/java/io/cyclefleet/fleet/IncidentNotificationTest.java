package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.submit;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.cyclefleet.support.Db;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The on-call webhook: a receiver that is down when the incident opens gets the PagerDuty Events v2
 * trigger once it is back (retried, not dropped), then the acknowledge and resolve, in that order; the
 * cycle itself never waits for the receiver. Each incident has its own dedup_key at the receiver, and a
 * notification sent again (its mark lost) is the same bytes, before the incident's next one.
 */
@QuarkusTest
class IncidentNotificationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static WorkerProcess worker;

    @BeforeAll
    static void startWorker() throws Exception {
        worker = WorkerProcess.builder("notify-a").start();
    }

    @AfterAll
    static void stopWorker() throws InterruptedException {
        worker.close();
    }

    /** One POST as the receiver saw it: the text as sent, and what it answered. */
    private record Post(String text, JsonNode body, int status) {
        boolean taken() {
            return status < 300;
        }

        String action() {
            return body.path("event_action").asText();
        }

        String key() {
            return body.path("dedup_key").asText();
        }
    }

    /**
     * A receiver where the test profile's webhook-url points (a run may move it off the default port): it
     * records every POST and answers {@code status(body)}.
     */
    private static final class Receiver implements AutoCloseable {
        private final Queue<Post> posts = new ConcurrentLinkedQueue<>();
        private final HttpServer server;

        Receiver() throws IOException {
            this(body -> 202);
        }

        Receiver(ToIntFunction<JsonNode> status) throws IOException {
            URI url = URI.create(ConfigProvider.getConfig().getValue("cyclefleet.incidents.notify.webhook-url", String.class));
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", url.getPort()), 0);
            server.createContext(url.getPath(), exchange -> {
                String text = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                JsonNode body = JSON.readTree(text);
                int code = status.applyAsInt(body);
                posts.add(new Post(text, body, code));
                byte[] answer = "{\"status\":\"success\"}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(code, answer.length);
                exchange.getResponseBody().write(answer);
                exchange.close();
            });
            server.start();
        }

        /** Every POST with this dedup_key, answered or refused, in arrival order. */
        List<Post> about(String dedupKey) {
            return posts.stream().filter(p -> dedupKey.equals(p.key())).toList();
        }

        /** The POSTs with this dedup_key that the receiver took (2xx). */
        List<Post> taken(String dedupKey) {
            return about(dedupKey).stream().filter(Post::taken).toList();
        }

        List<String> actions(String dedupKey) {
            return taken(dedupKey).stream().map(Post::action).toList();
        }

        /** The trigger taken for this incident, found by its payload rather than by its key. */
        Optional<Post> trigger(String incident) {
            return posts.stream().filter(p -> p.taken() && p.action().equals("trigger")
                    && incident.equals(p.body().at("/payload/custom_details/incidentId").asText())).findFirst();
        }

        /**
         * What a PagerDuty-like receiver makes of the bodies it took, by dedup_key: a trigger opens (again, after
         * a resolve), an acknowledge acknowledges an open alert, a resolve resolves.
         */
        Map<String, String> state() {
            Map<String, String> state = new HashMap<>();
            posts.stream().filter(Post::taken).forEach(p -> {
                switch (p.action()) {
                    case "trigger" -> state.put(p.key(), "open");
                    case "acknowledge" -> state.computeIfPresent(p.key(), (k, s) -> s.equals("open") ? "acknowledged" : s);
                    case "resolve" -> state.put(p.key(), "resolved");
                    default -> throw new AssertionError("unknown event_action: " + p.text());
                }
            });
            return state;
        }

        int indexOf(Post post) {
            return posts.stream().toList().indexOf(post);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** The receiver's key of an incident: the incident itself, not its target and cause. */
    private static String keyOf(String incident) {
        return "cyclefleet-incident-" + incident;
    }

    /** Runs a cycle whose verify and rollback both fail on {@code target}; returns the open rollback-failed incident. */
    private static String failRollback(String target) {
        UUID cycle = submit(Map.of("name", target, "target", target,
                "steps", List.of(Map.of("key", "deploy", "kind", "noop"),
                        Map.of("key", "verify", "kind", "fail", "dependsOn", List.of("deploy"), "params", Map.of("times", 9),
                                "retry", Map.of("maxAttempts", 1))),
                "rollback", Map.of("triggers", List.of("verify"), "steps", List.of(Map.of("key", "undo", "kind", "fail",
                        "params", Map.of("times", 9), "retry", Map.of("maxAttempts", 1))))));
        assertEquals("FAILED", awaitEnd(cycle, Duration.ofSeconds(30)).getString("status"));
        return given().get("/api/v1/incidents?status=open").then().statusCode(200).extract().jsonPath()
                .getString("items.find { it.target == '" + target + "' }.id");
    }

    private static void awaitStatus(String incident, String action, String status) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> Db.count(
                "select count(*) from notification where incident_id = ?::uuid and event_action = ? and status = ?",
                incident, action, status) == 1);
    }

    @Test
    void aReceiverThatIsDownGetsEveryNotificationOnceItIsBack() throws Exception {
        // nothing listens on the receiver's port: the cycle still ends at once
        String incident = failRollback("svc-notify");
        String dedupKey = keyOf(incident);
        // the outbox is one queue in order: earlier tests' notifications are ahead of ours, all undelivered
        long failedBefore = Db.count("select coalesce(max(attempts), 0) from notification where status = 'pending'");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                Db.count("select coalesce(max(attempts), 0) from notification where status = 'pending' and last_error is not null")
                        >= failedBefore + 2);
        assertEquals(1, Db.count("select count(*) from notification where incident_id = ?::uuid and status = 'pending'", incident),
                "kept while the receiver is down");

        try (Receiver receiver = new Receiver()) {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> !receiver.about(dedupKey).isEmpty());
            JsonNode trigger = receiver.about(dedupKey).get(0).body();
            assertEquals("trigger", trigger.path("event_action").asText());
            assertEquals("test-routing-key", trigger.path("routing_key").asText());
            assertEquals("critical", trigger.at("/payload/severity").asText());
            assertEquals("svc-notify", trigger.at("/payload/component").asText());
            assertEquals("rollback-failed", trigger.at("/payload/class").asText());
            assertTrue(trigger.at("/payload/summary").asText().startsWith("Rollback failed"), trigger.toString());
            assertTrue(trigger.at("/links/0/href").asText().endsWith("/api/v1/incidents/" + incident + "/report"), trigger.toString());
            assertEquals(0, Db.count("select count(*) from notification where body::text like '%test-routing-key%'"),
                    "the routing key is a secret: added at send time, never stored");

            given().post("/api/v1/incidents/" + incident + "/ack").then().statusCode(200);
            given().post("/api/v1/incidents/" + incident + "/resolve").then().statusCode(200);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> receiver.about(dedupKey).size() >= 3);
            assertEquals(List.of("trigger", "acknowledge", "resolve"), receiver.actions(dedupKey));
            // the receiver records a body before it answers; the sender marks it delivered only after the answer
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                    Db.count("select count(*) from notification where incident_id = ?::uuid and status = 'delivered'", incident) == 3);
        }
    }

    @Test
    void aNotificationTheReceiverRefusesIsSetAsideWithoutHoldingUpTheNext() throws Exception {
        // refuses triggers for this target as malformed (400), takes everything else
        try (Receiver receiver = new Receiver(b -> "svc-refused".equals(b.at("/payload/component").asText())
                && "trigger".equals(b.path("event_action").asText()) ? 400 : 202)) {
            UUID cycle = submit(Map.of("name", "refused", "target", "svc-refused", "deadline", "PT1S",
                    "steps", List.of(Map.of("key", "long", "kind", "sleep", "params", Map.of("duration", "PT20S")))));
            assertEquals("FAILED", awaitEnd(cycle, Duration.ofSeconds(15)).getString("status"));
            String incident = given().get("/api/v1/incidents?status=open").then().statusCode(200).extract().jsonPath()
                    .getString("items.find { it.target == 'svc-refused' }.id");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> Db.count(
                    "select count(*) from notification where incident_id = ?::uuid and event_action = 'trigger' and status = 'rejected'"
                            + " and last_error like '%HTTP 400%' and last_error not like '%/v2/enqueue%'", incident) == 1);
            given().post("/api/v1/incidents/" + incident + "/ack").then().statusCode(200);
            awaitStatus(incident, "acknowledge", "delivered");
            assertEquals(List.of("trigger", "acknowledge"), receiver.about(keyOf(incident)).stream().map(Post::action).toList(),
                    "the refused trigger was sent once, not retried forever");
        }
    }

    @Test
    void aLateResolveOfAnOldIncidentLeavesTheNewerOneOpen() throws Exception {
        // resolves are held back (503) until the test lets them through
        AtomicBoolean holdResolves = new AtomicBoolean(true);
        try (Receiver receiver = new Receiver(b -> holdResolves.get() && "resolve".equals(b.path("event_action").asText()) ? 503 : 202)) {
            String a = failRollback("svc-late");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> receiver.trigger(a).isPresent());
            Post triggerA = receiver.trigger(a).orElseThrow();
            given().post("/api/v1/incidents/" + a + "/resolve").then().statusCode(200);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                    receiver.about(triggerA.key()).stream().anyMatch(p -> p.action().equals("resolve")));

            // the same target and cause again: A is resolved, so this is a new incident B
            String b = failRollback("svc-late");
            assertNotEquals(a, b);
            assertEquals(2, Db.count("select count(*) from incident where dedup_key = 'svc-late:rollback-failed'"),
                    "incidents still group on target:cause");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> receiver.trigger(b).isPresent());
            Post triggerB = receiver.trigger(b).orElseThrow();
            awaitStatus(a, "resolve", "pending");

            // A's resolve now arrives after B's trigger
            holdResolves.set(false);
            awaitStatus(a, "resolve", "delivered");
            Post resolveA = receiver.about(triggerA.key()).stream().filter(p -> p.taken() && p.action().equals("resolve"))
                    .findFirst().orElseThrow();
            assertTrue(receiver.indexOf(triggerB) < receiver.indexOf(resolveA), "the late resolve came after B's trigger");
            Map<String, String> state = receiver.state();
            assertEquals("open", state.get(triggerB.key()), "the late resolve of A leaves B open at the receiver");
            assertEquals("resolved", state.get(triggerA.key()));

            assertEquals(keyOf(a), triggerA.key());
            assertEquals(keyOf(b), triggerB.key());
            assertTrue(triggerB.key().length() <= 255, "PagerDuty's limit");
            assertEquals(List.of("trigger", "resolve"), receiver.actions(keyOf(a)));
            assertEquals(List.of("trigger"), receiver.about(keyOf(b)).stream().map(Post::action).toList(), "nothing resolves B");
            assertEquals("svc-late", triggerB.body().at("/payload/component").asText(), "the target, for people");
            assertEquals("rollback-failed", triggerB.body().at("/payload/class").asText(), "the cause, for people");
        }
    }

    @Test
    void aNotificationWhoseMarkIsLostIsSentAgainTheSameAndBeforeTheNext() throws Exception {
        // triggers of this target are held back (503) until the failing mark is in place
        AtomicBoolean holdTriggers = new AtomicBoolean(true);
        try (Receiver receiver = new Receiver(b -> holdTriggers.get() && "trigger".equals(b.path("event_action").asText())
                && "svc-lost-mark".equals(b.at("/payload/component").asText()) ? 503 : 202)) {
            String incident = failRollback("svc-lost-mark");
            long trigger = Db.count("select id from notification where incident_id = ?::uuid and event_action = 'trigger'", incident);
            // the first mark of the trigger as delivered fails in Postgres, for real, after the receiver took it;
            // a sequence counts the marks (it is not rolled back with them)
            Db.update("create sequence test_lost_mark");
            Db.update("""
                    create function test_lose_mark() returns trigger language plpgsql as $$
                    begin
                        if nextval('test_lost_mark') = 1 then
                            raise exception 'test: the mark after a successful POST is lost';
                        end if;
                        return new;
                    end $$""");
            Db.update("create trigger test_lose_mark before update on notification for each row"
                    + " when (old.id = " + trigger + " and new.status = 'delivered') execute function test_lose_mark()");
            // queued behind the trigger
            given().post("/api/v1/incidents/" + incident + "/ack").then().statusCode(200);
            holdTriggers.set(false);

            awaitStatus(incident, "acknowledge", "delivered");
            assertEquals(2, Db.count("select last_value from test_lost_mark"), "one mark failed, the next succeeded");
            String key = receiver.trigger(incident).orElseThrow().key();
            assertEquals(List.of("trigger", "trigger", "acknowledge"), receiver.actions(key),
                    "exactly one duplicate of the trigger, and the acknowledge after it");
            List<Post> taken = receiver.taken(key);
            assertEquals(taken.get(0).text(), taken.get(1).text(), "the resend is the same bytes");
            String routingKey = "{\"routing_key\": \"test-routing-key\", ";
            assertTrue(taken.get(0).text().startsWith(routingKey), taken.get(0).text());
            assertEquals(1, Db.count("select count(*) from notification where id = ? and body::text = ?",
                    trigger, "{" + taken.get(0).text().substring(routingKey.length())), "what was sent is the stored text, plus the routing key");
            assertEquals(1, receiver.about(key).stream().filter(p -> p.action().equals("trigger")).map(Post::text).distinct().count(),
                    "every send of the trigger, refused or taken, is the same bytes");
            assertEquals(1, Db.count("select count(*) from notification where incident_id = ?::uuid and event_action = 'trigger'"
                    + " and status = 'delivered'", incident));
            assertEquals(keyOf(incident), key);
        } finally {
            Db.update("drop trigger if exists test_lose_mark on notification");
            Db.update("drop function if exists test_lose_mark()");
            Db.update("drop sequence if exists test_lost_mark");
        }
    }

    @Test
    void anIncidentTriggeredUnderAnEarlierKeyIsResolvedUnderIt() throws Exception {
        try (Receiver receiver = new Receiver()) {
            String incident = failRollback("svc-old-key");
            awaitStatus(incident, "trigger", "delivered");
            // as a trigger sent before the receiver's key named the incident was stored
            Db.update("update notification set body = jsonb_set(body, '{dedup_key}', '\"svc-old-key:rollback-failed\"')"
                    + " where incident_id = ?::uuid and event_action = 'trigger'", incident);
            given().post("/api/v1/incidents/" + incident + "/resolve").then().statusCode(200);
            awaitStatus(incident, "resolve", "delivered");
            assertEquals(List.of("resolve"), receiver.actions("svc-old-key:rollback-failed"),
                    "the resolve closes the alert its trigger opened");
        }
    }
}
