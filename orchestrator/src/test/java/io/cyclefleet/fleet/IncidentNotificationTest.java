package io.cyclefleet.fleet;

import static io.cyclefleet.support.Cycles.awaitEnd;
import static io.cyclefleet.support.Cycles.submit;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.cyclefleet.support.Db;
import io.cyclefleet.support.WorkerProcess;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The on-call webhook: a receiver that is down when the incident opens gets the PagerDuty Events v2
 * trigger once it is back (retried, not dropped), then the acknowledge and resolve, in that order; the
 * cycle itself never waits for the receiver.
 */
@QuarkusTest
class IncidentNotificationTest {

    /** Where the test profile points cyclefleet.incidents.notify.webhook-url. */
    private static final int RECEIVER_PORT = 18765;
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

    private static HttpServer receiver(Queue<JsonNode> received) throws IOException {
        return receiver(received, body -> 202);
    }

    /** A receiver on the configured port that records every body and answers {@code status(body)}. */
    private static HttpServer receiver(Queue<JsonNode> received, java.util.function.ToIntFunction<JsonNode> status) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", RECEIVER_PORT), 0);
        server.createContext("/v2/enqueue", exchange -> {
            JsonNode body = JSON.readTree(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            received.add(body);
            byte[] answer = "{\"status\":\"success\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.applyAsInt(body), answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static List<JsonNode> about(Queue<JsonNode> received, String dedupKey) {
        return received.stream().filter(b -> dedupKey.equals(b.path("dedup_key").asText())).toList();
    }

    @Test
    void aReceiverThatIsDownGetsEveryNotificationOnceItIsBack() throws Exception {
        String dedupKey = "svc-notify:rollback-failed";
        UUID cycle = submit(Map.of("name", "notify", "target", "svc-notify",
                "steps", List.of(Map.of("key", "deploy", "kind", "noop"),
                        Map.of("key", "verify", "kind", "fail", "dependsOn", List.of("deploy"), "params", Map.of("times", 9),
                                "retry", Map.of("maxAttempts", 1))),
                "rollback", Map.of("triggers", List.of("verify"), "steps", List.of(Map.of("key", "undo", "kind", "fail",
                        "params", Map.of("times", 9), "retry", Map.of("maxAttempts", 1))))));
        // nothing listens on the receiver's port: the cycle still ends at once
        assertEquals("FAILED", awaitEnd(cycle, Duration.ofSeconds(30)).getString("status"));
        String incident = given().get("/api/v1/incidents?status=open").then().statusCode(200).extract().jsonPath()
                .getString("items.find { it.target == 'svc-notify' }.id");
        // the outbox is one queue in order: earlier tests' notifications are ahead of ours, all undelivered
        long failedBefore = Db.count("select coalesce(max(attempts), 0) from notification where status = 'pending'");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                Db.count("select coalesce(max(attempts), 0) from notification where status = 'pending' and last_error is not null")
                        >= failedBefore + 2);
        assertEquals(1, Db.count("select count(*) from notification where incident_id = ?::uuid and status = 'pending'", incident),
                "kept while the receiver is down");

        Queue<JsonNode> received = new ConcurrentLinkedQueue<>();
        HttpServer server = receiver(received);
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> !about(received, dedupKey).isEmpty());
            JsonNode trigger = about(received, dedupKey).get(0);
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
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> about(received, dedupKey).size() >= 3);
            assertEquals(List.of("trigger", "acknowledge", "resolve"),
                    about(received, dedupKey).stream().map(b -> b.path("event_action").asText()).toList());
            // the receiver records a body before it answers; the sender marks it delivered only after the answer
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                    Db.count("select count(*) from notification where incident_id = ?::uuid and status = 'delivered'", incident) == 3);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aNotificationTheReceiverRefusesIsSetAsideWithoutHoldingUpTheNext() throws Exception {
        String dedupKey = "svc-refused:deadline-exceeded";
        Queue<JsonNode> received = new ConcurrentLinkedQueue<>();
        // refuses triggers for this target as malformed (400), takes everything else
        HttpServer server = receiver(received, b -> dedupKey.equals(b.path("dedup_key").asText())
                && "trigger".equals(b.path("event_action").asText()) ? 400 : 202);
        try {
            UUID cycle = submit(Map.of("name", "refused", "target", "svc-refused", "deadline", "PT1S",
                    "steps", List.of(Map.of("key", "long", "kind", "sleep", "params", Map.of("duration", "PT20S")))));
            assertEquals("FAILED", awaitEnd(cycle, Duration.ofSeconds(15)).getString("status"));
            String incident = given().get("/api/v1/incidents?status=open").then().statusCode(200).extract().jsonPath()
                    .getString("items.find { it.target == 'svc-refused' }.id");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> Db.count(
                    "select count(*) from notification where incident_id = ?::uuid and event_action = 'trigger' and status = 'rejected'"
                            + " and last_error like '%HTTP 400%' and last_error not like '%/v2/enqueue%'", incident) == 1);
            given().post("/api/v1/incidents/" + incident + "/ack").then().statusCode(200);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> Db.count(
                    "select count(*) from notification where incident_id = ?::uuid and event_action = 'acknowledge' and status = 'delivered'",
                    incident) == 1);
            assertEquals(List.of("trigger", "acknowledge"), about(received, dedupKey).stream().map(b -> b.path("event_action").asText()).toList(),
                    "the refused trigger was sent once, not retried forever");
        } finally {
            server.stop(0);
        }
    }
}
