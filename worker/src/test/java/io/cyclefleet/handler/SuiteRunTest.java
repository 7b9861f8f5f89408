package io.cyclefleet.handler;

import static io.cyclefleet.handler.TestingFixtures.context;
import static io.cyclefleet.handler.TestingFixtures.handler;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.cyclefleet.handler.TestingFixtures.Suite;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.task.TaskResult;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The testing kind's suites, run for real: a shell script stands in for the test command and writes JUnit XML. */
class SuiteRunTest {

    @TempDir
    Path dir;

    private TaskResult run(Suite suite, String params) throws Exception {
        return handler(Map.of("unit", suite)).handle(context(params));
    }

    private <T extends Throwable> T refused(Class<T> type, Suite suite, String params) {
        return assertThrows(type, () -> run(suite, params));
    }

    @Test
    void aSuiteWithAFailingTestFailsTheStepWithItsCounts() {
        TestingHandler.TestsFailed f = refused(TestingHandler.TestsFailed.class, Suite.script("fail", dir), "{\"suite\":\"unit\"}");
        assertFalse(f.retryable(), "a test verdict is not retried");
        String m = f.getMessage();
        assertTrue(m.startsWith("suite 'unit' failed: 3 tests: 2 passed, 1 failed, 0 errors, 0 skipped, exit code 1"), m);
        assertTrue(m.contains("demo.CartTest.total (failure): expected: <30> but was: <31>"), m);
        TaskResult r = f.result();
        assertEquals(3.0, r.metrics().get("tests"));
        assertEquals(2.0, r.metrics().get("passed"));
        assertEquals(1.0, r.metrics().get("failures"));
        assertEquals(0.0, r.metrics().get("errors"));
        assertEquals(0.6667, r.metrics().get("pass_rate"));
        assertEquals(1.5, r.metrics().get("duration_s"));
        assertEquals(1.0, r.metrics().get("exit_code"));
        assertEquals(7.0, r.score());
        JsonNode failing = r.summary().get("failing");
        assertEquals(1, failing.size());
        assertEquals("demo.CartTest", failing.get(0).get("class").asText());
        assertEquals("total", failing.get(0).get("name").asText());
        assertEquals("org.opentest4j.AssertionFailedError", failing.get(0).get("type").asText());
        assertTrue(r.summary().get("outputTail").asText().contains("Tests run: 3, Failures: 1"), "stderr is captured with stdout");
    }

    @Test
    void aPassingSuiteReportsItsMetricsAndScoresTen() throws Exception {
        TaskResult r = run(Suite.script("pass", dir), "{\"suite\":\"unit\"}");
        assertEquals(Map.of("tests", 3.0, "passed", 3.0, "failures", 0.0, "errors", 0.0, "skipped", 0.0, "pass_rate", 1.0,
                "duration_s", 0.42, "exit_code", 0.0), r.metrics());
        assertEquals(10.0, r.score());
        assertEquals("unit", r.summary().get("suite").asText());
        assertEquals(0, r.summary().get("exitCode").asInt());
        assertEquals(1, r.summary().get("reports").asInt());
        assertEquals(0, r.summary().get("failing").size());
        assertTrue(r.summary().get("outputTail").asText().contains("mode=[pass]"), r.summary().toString());
        assertNull(r.problem(), "the result is storable as it is");
    }

    @Test
    void argumentsAreSubstitutedIntoOneArgvElementEachWithoutAShell() throws Exception {
        Suite s = new Suite("sh " + TestingFixtures.script() + " {{mode}} {{pattern}}", java.util.Optional.of(dir.toString()), Map.of(),
                Duration.ofSeconds(30), "**/TEST-*.xml", Map.of("mode", "pass|fail", "pattern", "[A-Za-z0-9* $;]+"));
        TaskResult r = run(s, "{\"suite\":\"unit\",\"args\":{\"mode\":\"pass\",\"pattern\":\"Checkout* $HOME;x\"}}");
        String out = r.summary().get("outputTail").asText();
        assertTrue(out.contains("argc=2 mode=[pass] pattern=[Checkout* $HOME;x]"), "no splitting, globbing or expansion: " + out);
        assertEquals("Checkout* $HOME;x", r.summary().get("command").get(3).asText());
    }

    @Test
    void aBadArgumentValueIsRefusedBeforeAnythingRuns() throws Exception {
        Suite s = Suite.script("pass {{pattern}}", dir).withArguments(Map.of("pattern", "[A-Za-z0-9*]+"));
        TaskFailure f = refused(TaskFailure.class, s, "{\"suite\":\"unit\",\"args\":{\"pattern\":\"x; touch pwned\"}}");
        assertFalse(f.retryable());
        assertEquals("suite 'unit': argument 'pattern' value 'x; touch pwned' does not match [A-Za-z0-9*]+", f.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the script never ran: it would have written a report");
        }
    }

    @Test
    void anUndeclaredArgumentIsRefused() {
        Suite s = Suite.script("pass {{pattern}}", dir).withArguments(Map.of("pattern", "[A-Za-z0-9*]+"));
        TaskFailure f = refused(TaskFailure.class, s, "{\"suite\":\"unit\",\"args\":{\"pattern\":\"A\",\"jvmArgs\":\"-Dx=1\"}}");
        assertFalse(f.retryable());
        assertEquals("suite 'unit' does not take argument 'jvmArgs' (declared: [pattern])", f.getMessage());
    }

    @Test
    void aPlaceholderLeftUnfilledIsRefused() {
        Suite s = Suite.script("pass {{pattern}}", dir).withArguments(Map.of("pattern", "[A-Za-z0-9*]+"));
        TaskFailure f = refused(TaskFailure.class, s, "{\"suite\":\"unit\"}");
        assertFalse(f.retryable());
        assertEquals("suite 'unit': argument 'pattern' is required by its command but was not given", f.getMessage());
    }

    @Test
    void aSuiteThisWorkerDoesNotHaveIsRefused() {
        TaskFailure f = refused(TaskFailure.class, Suite.script("pass", dir), "{\"suite\":\"integration\"}");
        assertFalse(f.retryable());
        assertEquals("suite 'integration' is not configured on this worker (configured: [unit])", f.getMessage());
    }

    @Test
    void aSuitePastItsTimeoutIsKilledWithWhatItStarted() throws Exception {
        Suite s = Suite.script("sleep", dir).withTimeout(Duration.ofSeconds(1));
        long start = System.nanoTime();
        TaskFailure f = refused(TaskFailure.class, s, "{\"suite\":\"unit\"}");
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 20, "the handler does not wait for the sleep");
        assertTrue(f.getMessage().startsWith("suite 'unit' timed out after PT1S and was killed along with 1 process it had started"),
                f.getMessage());
        assertTrue(f.retryable(), "a timeout is not a verdict: the step's retry policy decides");
        long child = Long.parseLong(Files.readString(dir.resolve("child.pid")).strip());
        assertTrue(f.getMessage().contains("started child " + child), f.getMessage());
        awaitGone(child);
    }

    @Test
    void aSuiteThatIgnoresTheRequestToStopIsKilledForcibly() throws Exception {
        Suite s = Suite.script("stubborn", dir).withTimeout(Duration.ofSeconds(1));
        TaskFailure f = refused(TaskFailure.class, s, "{\"suite\":\"unit\"}");
        assertTrue(f.getMessage().startsWith("suite 'unit' timed out after PT1S and was killed"), f.getMessage());
        awaitGone(Long.parseLong(Files.readString(dir.resolve("shell.pid")).strip()));
    }

    @Test
    void anInterruptedRunKillsTheSuiteAndEverythingItStarted() throws Exception {
        Suite s = Suite.script("sleep", dir);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                run(s, "{\"suite\":\"unit\"}");
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        long child = awaitPid(dir.resolve("child.pid"));
        t.interrupt();
        t.join(Duration.ofSeconds(20).toMillis());
        assertFalse(t.isAlive(), "the handler stops promptly when interrupted");
        assertInstanceOf(InterruptedException.class, thrown.get());
        awaitGone(child);
    }

    @Test
    void reportsOlderThanTheRunAreIgnored() throws Exception {
        Path old = dir.resolve("target/surefire-reports/TEST-demo.OldTest.xml");
        Files.createDirectories(old.getParent());
        Files.writeString(old, "<testsuite name=\"demo.OldTest\" tests=\"10\" failures=\"10\" errors=\"0\" skipped=\"0\">"
                + "<testcase classname=\"demo.OldTest\" name=\"broken\"><failure message=\"stale\"/></testcase></testsuite>");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(1))));

        TaskResult r = run(Suite.script("pass", dir), "{\"suite\":\"unit\"}");
        assertEquals(3.0, r.metrics().get("tests"), "only this run's report counts");
        assertEquals(1, r.summary().get("staleReportsIgnored").asInt());

        TestingHandler.TestsFailed f = refused(TestingHandler.TestsFailed.class, Suite.script("none", dir), "{\"suite\":\"unit\"}");
        assertTrue(f.getMessage().startsWith("suite 'unit' exited with code 0 and wrote no JUnit report matching **/TEST-*.xml "
                + "(2 older reports ignored)"), f.getMessage());
        assertTrue(f.getMessage().contains("compiled, but no test ran"), "the output tail says why: " + f.getMessage());
    }

    @Test
    void allTestsPassingButANonZeroExitFails() {
        TestingHandler.TestsFailed f = refused(TestingHandler.TestsFailed.class, Suite.script("crash", dir), "{\"suite\":\"unit\"}");
        assertTrue(f.getMessage().startsWith("suite 'unit' exited with code 2 although its reports show no failing test "
                + "(1 tests: 1 passed, 0 failed, 0 errors, 0 skipped)"), f.getMessage());
        assertTrue(f.getMessage().contains("BUILD FAILURE: coverage below threshold"), f.getMessage());
        assertEquals(2.0, f.result().metrics().get("exit_code"));
    }

    @Test
    void anExternalEntityInAReportIsNeverResolved() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "TOP-SECRET-42");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger fetched = new AtomicInteger();
        server.createContext("/", x -> {
            fetched.incrementAndGet();
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        server.start();
        try {
            Path report = Files.writeString(dir.resolve("evil.xml"), """
                    <?xml version="1.0"?>
                    <!DOCTYPE testsuite [
                      <!ENTITY file SYSTEM "%s">
                      <!ENTITY %% remote SYSTEM "http://127.0.0.1:%d/dtd">
                      %%remote;
                    ]>
                    <testsuite name="x" tests="1" failures="1"><testcase classname="x" name="y"><failure message="&file;"/></testcase></testsuite>
                    """.formatted(secret.toUri(), server.getAddress().getPort()));
            Path work = Files.createDirectory(dir.resolve("work"));
            Suite s = Suite.script("copy", work).withEnvironment(Map.of("REPORT_SOURCE", report.toString()));
            TestingHandler.TestsFailed f = refused(TestingHandler.TestsFailed.class, s, "{\"suite\":\"unit\"}");
            assertTrue(f.getMessage().startsWith("suite 'unit' exited with code 0 but its reports cannot be trusted: TEST-copied.xml is not "
                    + "well-formed XML"), f.getMessage());
            assertFalse(f.getMessage().contains("TOP-SECRET"), f.getMessage());
            assertFalse(f.result().summary().toString().contains("TOP-SECRET"));
            assertEquals(0, fetched.get(), "no connection to the entity's URL");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aSuiteGetsItsConfiguredEnvironmentButNotTheWorkersOwn() throws Exception {
        String workerOnly = System.getenv().keySet().stream()
                .filter(k -> !io.cyclefleet.outbound.Commands.PASSED_ON.contains(k) && k.matches("[A-Za-z_][A-Za-z0-9_]*"))
                .findFirst().orElse(null);
        Assumptions.assumeTrue(workerOnly != null, "the test JVM has no environment variable to leave out");
        Path report = Files.writeString(dir.resolve("ok.xml"), "<testsuite tests=\"1\"><testcase classname=\"a\" name=\"b\"/></testsuite>");
        Path work = Files.createDirectory(dir.resolve("work"));
        Suite s = Suite.script("env", work).withEnvironment(Map.of("REPORT_SOURCE", report.toString(), "SUITE_PROFILE", "ci"));
        String out = run(s, "{\"suite\":\"unit\"}").summary().get("outputTail").asText();
        assertTrue(out.contains("\nSUITE_PROFILE=ci\n"), out);
        assertTrue(out.contains("\nPATH="), "PATH is passed on so tools are found: " + out);
        assertFalse(out.contains("\n" + workerOnly + "="), workerOnly + " stays with the worker: " + out);
    }

    @Test
    void withoutAWorkingDirectoryEachRunGetsAFreshOneThatIsRemovedAfterwards() throws Exception {
        TaskResult r = run(Suite.script("pass", null), "{\"suite\":\"unit\"}");
        assertEquals(10.0, r.score());
        Matcher m = Pattern.compile("cwd=\\[([^]]+)]").matcher(r.summary().get("outputTail").asText());
        assertTrue(m.find(), r.summary().toString());
        assertTrue(m.group(1).contains("cyclefleet-suite-unit-"), m.group(1));
        assertFalse(Files.exists(Path.of(m.group(1))), "removed after the run");
    }

    /** Waits until the pid file the script writes has a pid in it. */
    private static long awaitPid(Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                String text = Files.readString(file).strip();
                if (!text.isEmpty()) {
                    return Long.parseLong(text);
                }
            }
            Thread.sleep(20);
        }
        return fail("the suite did not start its child within 20 s");
    }

    /** Polls until the process is gone (or only a zombie waiting for a parent that is not ours to reap it). */
    static void awaitGone(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!running(pid)) {
                return;
            }
            Thread.sleep(20);
        }
        fail("process " + pid + " still runs: " + ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).orElse("?"));
    }

    private static boolean running(long pid) throws Exception {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            Path stat = Path.of("/proc/" + pid + "/stat");
            if (Files.exists(stat)) {
                String s = Files.readString(stat);
                char state = s.charAt(s.lastIndexOf(')') + 2);
                return state != 'Z' && state != 'X'; // a zombie has exited; reaping it is its new parent's business
            }
            return true;
        }
        return false;
    }
}
