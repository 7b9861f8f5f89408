package io.cyclefleet.outbound;

import static io.cyclefleet.outbound.HttpCalls.MAX_BODY;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cyclefleet.run.TaskFailure;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HttpCalls against a real HTTP server on 127.0.0.1: bodies over the cap, bodies that never end, interruption. */
@Timeout(60) // a call that hangs fails its test instead of the build
class HttpCallsTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    /** Far more than the cap plus what the sockets' buffers hold: a client that had kept reading. */
    private static final long KEPT_DOWNLOADING = 64L << 20;

    private final HttpCalls http = new HttpCalls(new Outbound());
    private BodyServer server;

    @BeforeEach
    void start() throws IOException {
        server = new BodyServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aSmallBodyIsReadWithItsStatusAndLatency() throws Exception {
        HttpCalls.Reply r = http.send("POST", server.url("/small"), Map.of("X-Probe", "p1"), "payload", LONG);
        assertEquals(201, r.status());
        assertEquals("hello POST p1 payload", r.body());
        assertTrue(r.latencyMs() > 0 && r.latencyMs() < 5000, "latency " + r.latencyMs());
    }

    @Test
    void aConnectionWhoseBodyWasReadWholeIsKeptForTheNextCall() throws Exception {
        http.get(server.url("/small"), LONG);
        http.probe("GET", server.url("/small"), Map.of(), null, LONG);
        assertEquals(2, server.smallFrom.size());
        assertEquals(server.smallFrom.get(0), server.smallFrom.get(1), "one connection for both");
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        assertEquals(302, http.get(server.url("/moved"), LONG).status());
        assertEquals(1, server.requests.get());
    }

    @Test
    void anEndlessBodyFailsWithoutRetryAsSoonAsItPassesTheCapAndIsNoLongerDownloaded() {
        long start = System.nanoTime();
        TaskFailure f = assertThrows(TaskFailure.class, () -> http.get(server.url("/endless?token=secret"), LONG));
        Duration took = since(start);
        assertEquals(server.origin() + ": response body exceeds the 1 MiB limit", f.getMessage());
        assertFalse(f.retryable(), "the same request would get the same answer");
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "took " + took);
        assertEquals(1, server.requests.get(), "not retried, although a GET");
        assertClientWalkedAway(1);
    }

    @Test
    void aProbeOfAnEndlessBodyIsStatusZeroSayingWhy() throws Exception {
        long start = System.nanoTime();
        HttpCalls.Reply r = http.probe("GET", server.url("/endless"), Map.of(), null, LONG);
        assertTrue(since(start).compareTo(Duration.ofSeconds(5)) < 0, "took " + since(start));
        assertEquals(0, r.status());
        assertEquals("response body exceeds the 1 MiB limit", r.body());
        assertClientWalkedAway(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bytes/", "/chunked/"})
    void aBodyOfExactlyTheCapIsReadWhole(String path) throws Exception {
        HttpCalls.Reply r = http.get(server.url(path + MAX_BODY), LONG);
        assertEquals(200, r.status());
        assertEquals(MAX_BODY, r.body().length());
        assertTrue(r.body().chars().allMatch(c -> c == 'a'));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bytes/", "/chunked/"})
    void aBodyOneByteOverTheCapIsAnError(String path) {
        TaskFailure f = assertThrows(TaskFailure.class, () -> http.get(server.url(path + (MAX_BODY + 1)), LONG));
        assertEquals(server.origin() + ": response body exceeds the 1 MiB limit", f.getMessage());
        assertFalse(f.retryable());
        assertEquals(1, server.requests.get());
    }

    @Test
    void aBodyThatDripsFailsAfterTheTimeoutForTheWholeExchange() {
        Duration timeout = Duration.ofSeconds(2);
        long start = System.nanoTime();
        TaskFailure f = assertThrows(TaskFailure.class, () -> http.send("POST", server.url("/drip"), Map.of(), "x", timeout));
        assertTookAbout(timeout, since(start));
        assertEquals(server.origin() + ": HttpTimeoutException: response body not complete after PT2S", f.getMessage());
        assertTrue(f.retryable(), "a slow server may answer in time next time");
        assertTrue(server.written.get() >= 1, "the headers and some of the body came in time");
        assertClientWalkedAway(1);
    }

    @Test
    void aProbeOfABodyThatDripsIsStatusZeroAfterTheTimeout() throws Exception {
        HttpCalls.Reply r = probeTimingOut("/drip", Duration.ofSeconds(2));
        assertEquals("HttpTimeoutException: response body not complete after PT2S", r.body());
        assertEquals(2000.0, r.latencyMs());
        assertClientWalkedAway(1);
    }

    @Test
    void aServerThatNeverAnswersIsNoResponseAfterTheTimeout() throws Exception {
        assertEquals("HttpTimeoutException: no response after PT1S", probeTimingOut("/silent", Duration.ofSeconds(1)).body());
    }

    /** A probe of {@code path} that ends at its timeout, with no status. */
    private HttpCalls.Reply probeTimingOut(String path, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        HttpCalls.Reply r = http.probe("GET", server.url(path), Map.of(), null, timeout);
        assertTookAbout(timeout, since(start));
        assertEquals(0, r.status());
        return r;
    }

    @Test
    void interruptingASendDuringASlowBodyStopsItPromptly() throws Exception {
        assertInterruptible(() -> http.get(server.url("/drip"), LONG));
    }

    @Test
    void interruptingAProbeDuringASlowBodyStopsItPromptly() throws Exception {
        assertInterruptible(() -> http.probe("GET", server.url("/drip"), Map.of(), null, LONG));
    }

    /** The call, in a thread of its own, is interrupted once the body has started: it ends at once, with the exchange. */
    private void assertInterruptible(Callable<HttpCalls.Reply> call) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                call.call();
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "interrupted-caller");
        caller.start();
        await().atMost(10, SECONDS).until(() -> server.written.get() > 0);
        caller.interrupt();
        await("the call ends promptly").atMost(2, SECONDS).until(() -> !caller.isAlive());
        assertInstanceOf(InterruptedException.class, thrown.get());
        assertEquals(1, server.requests.get());
        assertClientWalkedAway(1);
    }

    /** The server's writes failed because the client closed the connection, long before it could have read it all. */
    private void assertClientWalkedAway(int responses) {
        await("the client closes the connection").atMost(10, SECONDS).until(() -> server.abandoned.get() == responses);
        assertTrue(server.written.get() < KEPT_DOWNLOADING, "written " + server.written.get());
    }

    private static void assertTookAbout(Duration timeout, Duration took) {
        assertTrue(took.compareTo(timeout) >= 0 && took.compareTo(timeout.plusSeconds(3)) < 0, "took " + took + " for a timeout of " + timeout);
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
