package io.cyclefleet.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.kinds.TestingKind;
import io.cyclefleet.outbound.HttpCalls;
import io.cyclefleet.outbound.HttpCheck;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.cyclefleet.suite.JUnitReports;
import io.cyclefleet.suite.SuiteRunner;
import io.cyclefleet.task.TaskResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code testing}: runs a suite from this worker's allowlist ({@code cyclefleet.suites.*}) and reads its JUnit
 * reports, or runs the HTTP smoke checks given in the params. Metrics: for a suite {@code tests, failures,
 * errors, skipped, passed, pass_rate, duration_s, exit_code}; for smoke checks {@code checks, passed,
 * pass_rate, latency_ms_max}. Score {@code 1 + 9 × pass_rate} (to 0.1) when something ran.
 */
@ApplicationScoped
public class TestingHandler implements TaskHandler {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** How much of a suite's output goes into its summary and into a failure message. */
    static final int SUMMARY_TAIL = 8 * 1024;
    static final int ERROR_TAIL = 2 * 1024;
    /** Below the worker's 64 KiB result limit with room to spare. */
    static final int SUMMARY_BUDGET = 60_000;
    static final int FAILURES_IN_MESSAGE = 5;

    /**
     * A testing step that ran and failed, with the result it would have reported: stored on the failed task
     * (metrics and summary) as well as summed up in the message.
     */
    public static class TestsFailed extends TaskFailure {
        public TestsFailed(String message, TaskResult result) {
            super(message, false, result); // the counts are stored on the failed task too
        }

        public TaskResult result() {
            return measured();
        }
    }

    private final SuiteRunner suites;
    private final HttpCalls http;

    public TestingHandler(SuiteRunner suites, HttpCalls http) {
        this.suites = suites;
        this.http = http;
    }

    @Override
    public String kind() {
        return TestingKind.KIND;
    }

    @Override
    public TaskResult handle(TaskContext context) throws Exception {
        JsonNode params = context.params();
        if (params != null && params.hasNonNull("suite")) {
            return suite(params.get("suite").asText(), params.path("args"));
        }
        if (params != null && params.path("smoke").isArray()) {
            return smoke(params.get("smoke"), params.path("minPassRate").asDouble(1.0));
        }
        throw new TaskFailure("testing: params name neither a suite nor smoke checks", false);
    }

    // ---- suites ----

    private TaskResult suite(String name, JsonNode argsNode) throws TaskFailure, InterruptedException {
        Map<String, String> args = new TreeMap<>();
        argsNode.fields().forEachRemaining(a -> args.put(a.getKey(), a.getValue().asText()));
        SuiteRunner.Prepared prepared = suites.prepare(name, args);
        SuiteRunner.Run run = suites.run(prepared);
        JUnitReports.Counts c = run.counts();

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("tests", (double) c.tests());
        metrics.put("failures", (double) c.failures());
        metrics.put("errors", (double) c.errors());
        metrics.put("skipped", (double) c.skipped());
        metrics.put("passed", (double) c.passed());
        metrics.put("duration_s", round(c.timeS(), 1000));
        if (run.exitCode() != null) {
            metrics.put("exit_code", (double) run.exitCode());
        }
        Double score = null;
        if (c.executed() > 0) {
            double rate = (double) c.passed() / c.executed();
            metrics.put("pass_rate", round(rate, 10_000));
            score = score(rate);
        }
        TaskResult result = new TaskResult(fit(suiteSummary(run)), metrics, score);

        String counts = c.tests() + " tests: " + c.passed() + " passed, " + c.failures() + " failed, " + c.errors() + " errors, "
                + c.skipped() + " skipped";
        String where = "suite '" + name + "'";
        if (run.timedOut()) {
            // Not a verdict on the code under test: the step's retry policy decides whether to try again.
            throw new TaskFailure(where + " timed out after " + prepared.suite().timeout() + " and was killed"
                    + (run.killed() > 1 ? " along with " + plural(run.killed() - 1, "process", "processes") + " it had started" : "")
                    + "; output tail:\n" + run.output().last(ERROR_TAIL), true);
        }
        if (!run.reportProblems().isEmpty()) {
            throw new TestsFailed(where + " exited with code " + run.exitCode() + " but its reports cannot be trusted: "
                    + String.join("; ", run.reportProblems()) + (run.reports() > 0 ? " (" + counts + " in the readable ones)" : ""), result);
        }
        if (run.reports() == 0) {
            throw new TestsFailed(where + " exited with code " + run.exitCode() + " and wrote no JUnit report matching "
                    + prepared.suite().reports() + (run.staleIgnored() > 0 ? " (" + run.staleIgnored() + " older reports ignored)" : "")
                    + "; output tail:\n" + run.output().last(ERROR_TAIL), result);
        }
        if (c.failures() + c.errors() > 0) {
            List<String> first = new ArrayList<>();
            for (JUnitReports.FailedCase f : c.failing().subList(0, Math.min(FAILURES_IN_MESSAGE, c.failing().size()))) {
                first.add(f.describe());
            }
            throw new TestsFailed(where + " failed: " + counts + ", exit code " + run.exitCode() + "; failing: "
                    + String.join("; ", first) + (c.failingTotal() > first.size() ? "; … " + (c.failingTotal() - first.size()) + " more" : ""),
                    result);
        }
        if (run.exitCode() != 0) {
            throw new TestsFailed(where + " exited with code " + run.exitCode() + " although its reports show no failing test ("
                    + counts + "); output tail:\n" + run.output().last(ERROR_TAIL), result);
        }
        return result;
    }

    private static ObjectNode suiteSummary(SuiteRunner.Run run) {
        JUnitReports.Counts c = run.counts();
        ObjectNode s = JSON.objectNode();
        s.put("suite", run.suite());
        ArrayNode argv = s.putArray("command");
        run.argv().forEach(argv::add);
        if (run.exitCode() != null) {
            s.put("exitCode", run.exitCode());
        } else {
            s.putNull("exitCode");
        }
        s.put("timedOut", run.timedOut());
        s.put("wallClockS", round(run.wallClock().toMillis() / 1000.0, 1000));
        s.put("reports", run.reports());
        s.put("staleReportsIgnored", run.staleIgnored());
        if (!run.reportProblems().isEmpty()) {
            ArrayNode p = s.putArray("reportProblems");
            run.reportProblems().forEach(p::add);
        }
        s.put("tests", c.tests()).put("passed", c.passed()).put("failures", c.failures()).put("errors", c.errors())
                .put("skipped", c.skipped()).put("durationS", round(c.timeS(), 1000));
        ArrayNode failing = s.putArray("failing");
        for (JUnitReports.FailedCase f : c.failing()) {
            ObjectNode o = failing.addObject().put("class", f.className()).put("name", f.name()).put("outcome", f.outcome());
            if (!f.type().isEmpty()) {
                o.put("type", f.type());
            }
            o.put("message", f.message());
        }
        if (c.failingTotal() > c.failing().size()) {
            s.put("failingNotListed", c.failingTotal() - c.failing().size());
        }
        s.put("outputTail", run.output().last(SUMMARY_TAIL));
        return s;
    }

    /** Keeps the summary within the result limit: a shorter output tail first, then fewer listed failures. */
    static ObjectNode fit(ObjectNode summary) {
        if (bytes(summary) <= SUMMARY_BUDGET) {
            return summary;
        }
        String tail = summary.path("outputTail").asText();
        summary.put("outputTail", tail.length() > 1024 ? "…" + tail.substring(tail.length() - 1024) : tail);
        ArrayNode failing = summary.has("failing") ? (ArrayNode) summary.get("failing") : JSON.arrayNode();
        int dropped = 0;
        while (bytes(summary) > SUMMARY_BUDGET && !failing.isEmpty()) {
            failing.remove(failing.size() - 1);
            dropped++;
        }
        if (dropped > 0) {
            summary.put("failingNotListed", summary.path("failingNotListed").asInt() + dropped);
        }
        return summary;
    }

    private static int bytes(JsonNode n) {
        return n.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    // ---- smoke checks ----

    private TaskResult smoke(JsonNode checks, double minPassRate) throws TaskFailure, InterruptedException {
        List<HttpCheck.Result> results = new ArrayList<>();
        for (JsonNode check : checks) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("interrupted between smoke checks");
            }
            results.add(HttpCheck.run(http, check));
        }
        int passed = (int) results.stream().filter(HttpCheck.Result::passed).count();
        double rate = results.isEmpty() ? 0 : (double) passed / results.size();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("checks", (double) results.size());
        metrics.put("passed", (double) passed);
        metrics.put("pass_rate", round(rate, 10_000));
        // A check that got no response has no latency worth reporting (probe() gives its timeout).
        results.stream().filter(r -> r.status() != 0).mapToDouble(HttpCheck.Result::latencyMs).max()
                .ifPresent(max -> metrics.put("latency_ms_max", round(max, 10)));

        ObjectNode summary = JSON.objectNode();
        summary.put("smoke", results.size()).put("passed", passed).put("passRate", round(rate, 10_000)).put("minPassRate", minPassRate);
        ArrayNode list = summary.putArray("checks");
        List<String> failures = new ArrayList<>();
        for (HttpCheck.Result r : results) {
            ObjectNode o = list.addObject().put("name", r.name()).put("passed", r.passed()).put("status", r.status())
                    .put("latencyMs", round(r.latencyMs(), 10));
            if (!r.failures().isEmpty()) {
                ArrayNode f = o.putArray("failures");
                r.failures().forEach(f::add);
                failures.addAll(r.failures());
            }
        }
        TaskResult result = new TaskResult(summary, metrics, results.isEmpty() ? null : score(rate));
        if (rate < minPassRate) {
            throw new TestsFailed(String.format(Locale.ROOT, "smoke checks: %d of %d passed (pass rate %.2f, minimum %.2f); %s",
                    passed, results.size(), rate, minPassRate, String.join("; ", failures)), result);
        }
        return result;
    }

    private static String plural(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    static double score(double passRate) {
        return Math.round((1 + 9 * passRate) * 10) / 10.0;
    }

    private static double round(double v, double scale) {
        return Math.round(v * scale) / scale;
    }
}
