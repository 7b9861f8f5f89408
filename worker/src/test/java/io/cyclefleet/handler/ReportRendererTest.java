package io.cyclefleet.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ReportRendererTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final UUID CYCLE = UUID.fromString("6f1c2d3e-4a5b-4c6d-8e7f-901234567890");
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    private static ReportData.Step step(long id, String key, String kind, String status, Map<String, Double> metrics, Double score,
                                        String error, String result) {
        Instant started = "RUNNING".equals(status) || status.equals("SUCCEEDED") || status.equals("FAILED") ? T0.plusSeconds(id) : null;
        Instant finished = status.equals("SUCCEEDED") || status.equals("FAILED") ? started.plusMillis(1234) : null;
        return new ReportData.Step(id, key, kind, "main", status, 1, 3, "w-1", T0, started, finished, metrics, score, error, result,
                result == null ? 0 : result.length());
    }

    private static ReportData report(List<ReportData.Step> steps) {
        ReportData.Cycle cycle = new ReportData.Cycle(CYCLE, "checkout 2.4.1", "checkout", 2, "RUNNING", null, T0, null, null, null,
                null, null);
        List<ReportData.GateEvaluation> gates = List.of(new ReportData.GateEvaluation(7, "ready", "fail", T0.plusSeconds(5), List.of(
                new ReportData.Condition("assess.error_rate", 0.034, "<=", 0.01, "fail"),
                new ReportData.Condition("averageScore", null, ">=", 8.0, "no_data"))));
        List<ReportData.Event> events = List.of(
                new ReportData.Event(1, T0, "cycle.accepted", null, null, "ACCEPTED", null, null, null),
                new ReportData.Event(2, T0.plusSeconds(1), "task.failed", "assess", "RUNNING", "FAILED", 1, "w-1", "boom | bang"));
        return new ReportData(null, T0.plusSeconds(10), 3, "report", 1, cycle, steps, gates, events, 42);
    }

    private static ReportData sample() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("error_rate", 0.004);
        metrics.put("p95_ms", 120.0);
        return report(List.of(
                step(1, "assess", "metric", "SUCCEEDED", metrics, 9.0, null, "{\"checked\": 12}"),
                step(2, "test", "metric", "FAILED", Map.of("pass_rate", 0.5), 8.0, "line one | with a pipe\nline two", null),
                step(3, "report", "report", "RUNNING", Map.of(), null, null, null)));
    }

    // ------------------------------------------------------------------------------------------------ CSV

    @Test
    void csvHasOneRowPerStepAndMetricPlusScoreRows() {
        ReportRenderer.Output csv = ReportRenderer.csv(sample(), ReportRenderer.MAX_BYTES);
        assertFalse(csv.truncated());
        assertEquals("step,kind,status,metric,value\r\n"
                + "assess,metric,SUCCEEDED,error_rate,0.004\r\n"
                + "assess,metric,SUCCEEDED,p95_ms,120\r\n"
                + "assess,metric,SUCCEEDED,score,9\r\n"
                + "test,metric,FAILED,pass_rate,0.5\r\n"
                + "test,metric,FAILED,score,8\r\n", csv.content());
    }

    @Test
    void csvQuotesCommasQuotesAndLineBreaksPerRfc4180() {
        assertEquals("plain", ReportRenderer.csvField("plain"));
        assertEquals("\"a,b\"", ReportRenderer.csvField("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", ReportRenderer.csvField("say \"hi\""));
        assertEquals("\"two\nlines\"", ReportRenderer.csvField("two\nlines"));
        assertEquals("\"cr\rhere\"", ReportRenderer.csvField("cr\rhere"));

        String kind = "odd,\"kind\"\r\nnext";
        ReportData d = report(List.of(step(1, "s.1", kind, "SUCCEEDED", Map.of("m", 1.5), null, null, null)));
        List<List<String>> rows = parseCsv(ReportRenderer.csv(d, ReportRenderer.MAX_BYTES).content());
        assertEquals(List.of(List.of("step", "kind", "status", "metric", "value"), List.of("s.1", kind, "SUCCEEDED", "m", "1.5")), rows,
                "the quoted field reads back as it was");
    }

    @Test
    void csvOverTheCapEndsWithARowSayingHowManyRowsWereLeftOut() {
        ReportData d = big(300, 50);
        int cap = 32 * 1024;
        ReportRenderer.Output csv = ReportRenderer.csv(d, cap);
        assertTrue(csv.truncated());
        assertTrue(csv.bytes() <= cap, csv.bytes() + " bytes");
        List<List<String>> rows = parseCsv(csv.content());
        List<String> last = rows.get(rows.size() - 1);
        assertEquals("rows_omitted", last.get(3));
        long total = 300L * (50 + 1); // 50 metrics and a score per step
        assertEquals(total, rows.size() - 2 + Long.parseLong(last.get(4)), "rows kept (without header and note) + omitted = all rows");
        rows.subList(0, rows.size() - 1).forEach(r -> assertEquals(5, r.size(), r.toString()));
    }

    // ------------------------------------------------------------------------------------------- Markdown

    @Test
    void markdownHasOverviewStepsMetricsGatesAndTimeline() {
        String md = ReportRenderer.markdown(sample(), ReportRenderer.MAX_BYTES).content();
        assertTrue(md.startsWith("# Cycle report: checkout 2.4.1\n"), md);
        for (String expected : List.of(
                "| Cycle id | " + CYCLE + " |",
                "| Target | checkout |",
                "| Iteration | 2 |",
                "| Status at report time | RUNNING |",
                "| Average score | 8.5 (over 2 scored steps) |",
                "| Steps | 3 (1 FAILED, 1 RUNNING, 1 SUCCEEDED) |",
                "| assess | metric | main | SUCCEEDED | 1/3 | 1.234 s | 9 |  |",
                "| report | report | main | RUNNING | 1/3 | running |  |  |",
                "### assess (metric, SUCCEEDED)",
                "| error_rate | 0.004 |",
                "| p95_ms | 120 |",
                "{\"checked\": 12}",
                "| ready | fail | assess.error_rate | 0.034 | <= 0.01 | fail |",
                "| ready | fail | averageScore | no data | >= 8 | no_data |",
                "The newest 2 of 42 events",
                "| task.failed | assess | 1 | w-1 | boom \\| bang |")) {
            assertTrue(md.contains(expected), "missing '" + expected + "' in:\n" + md);
        }
    }

    @Test
    void markdownEscapesPipesAndLineBreaksSoACellCannotBreakTheTable() {
        String md = ReportRenderer.markdown(sample(), ReportRenderer.MAX_BYTES).content();
        String row = md.lines().filter(l -> l.startsWith("| test |")).findFirst().orElseThrow();
        assertEquals("| test | metric | main | FAILED | 1/3 | 1.234 s | 8 | line one \\| with a pipe ⏎ line two |", row);
        assertEquals(9, unescapedPipes(row), "8 columns: 9 unescaped pipes");
        assertEquals("a\\\\\\|b", ReportRenderer.cell("a\\|b", 100), "a backslash before a pipe cannot unescape it");
        assertEquals(2, unescapedPipes("| " + ReportRenderer.cell("x\\|y|z\\", 100) + " |"), "one cell, whatever it holds");
    }

    @Test
    void markdownAbbreviatesLongErrorsInTheStepsTable() {
        String error = "e".repeat(5000);
        ReportData d = report(List.of(step(1, "boom", "fail", "FAILED", Map.of(), null, error, null)));
        String row = ReportRenderer.markdown(d, ReportRenderer.MAX_BYTES).content().lines()
                .filter(l -> l.startsWith("| boom |")).findFirst().orElseThrow();
        assertTrue(row.endsWith("| " + "e".repeat(ReportRenderer.ERROR_CELL) + "… |"), row);
    }

    @Test
    void aTitleReplacesTheDefaultHeading() {
        ReportData s = sample();
        ReportData titled = new ReportData("Release 7: checkout", s.generatedAt(), s.reportTaskId(), s.reportStep(), s.reportAttempt(),
                s.cycle(), s.steps(), s.gates(), s.timeline(), s.totalEvents());
        assertTrue(ReportRenderer.markdown(titled, ReportRenderer.MAX_BYTES).content().startsWith("# Release 7: checkout\n"));
        assertEquals("Release 7: checkout", parse(ReportRenderer.json(titled, ReportRenderer.MAX_BYTES).content()).at("/report/title").asText());
    }

    @Test
    void markdownOverTheCapStopsAtALineAndSaysSo() {
        int cap = 32 * 1024;
        ReportRenderer.Output md = ReportRenderer.markdown(big(300, 50), cap);
        assertTrue(md.truncated());
        assertTrue(md.bytes() <= cap, md.bytes() + " bytes");
        assertTrue(md.content().contains("**Truncated**: this report exceeded the limit of " + cap + " bytes"), md.content());
        assertTrue(md.content().contains("`GET /api/v1/cycles/" + CYCLE + "`"));
    }

    // ----------------------------------------------------------------------------------------------- JSON

    @Test
    void jsonHoldsTheSameDataStructured() {
        JsonNode doc = parse(ReportRenderer.json(sample(), ReportRenderer.MAX_BYTES).content());
        assertEquals(CYCLE.toString(), doc.at("/cycle/id").asText());
        assertEquals("RUNNING", doc.at("/cycle/status").asText());
        assertEquals(8.5, doc.at("/cycle/averageScore").asDouble());
        assertEquals(1, doc.at("/cycle/taskCounts/FAILED").asInt());
        assertEquals(3, doc.at("/steps").size());
        assertEquals("assess", doc.at("/steps/0/key").asText());
        assertEquals(0.004, doc.at("/steps/0/metrics/error_rate").asDouble());
        assertEquals(1234, doc.at("/steps/0/durationMs").asLong());
        assertEquals(12, doc.at("/steps/0/result/checked").asInt(), "a small result is embedded as JSON");
        assertEquals("line one | with a pipe\nline two", doc.at("/steps/1/error").asText());
        assertTrue(doc.at("/steps/2/durationMs").isNull());
        assertEquals("fail", doc.at("/gates/0/verdict").asText());
        assertEquals(0.034, doc.at("/gates/0/conditions/0/observed").asDouble());
        assertEquals(0.01, doc.at("/gates/0/conditions/0/threshold").asDouble());
        assertTrue(doc.at("/gates/0/conditions/1/observed").isNull());
        assertEquals(42, doc.at("/timeline/total").asInt());
        assertEquals("task.failed", doc.at("/timeline/events/1/type").asText());
        assertEquals(3, doc.at("/report/taskId").asLong());
        assertTrue(doc.get("truncated").isNull());
    }

    @Test
    void jsonOverTheCapKeepsWholeElementsAndCountsTheRest() {
        int cap = 32 * 1024;
        ReportRenderer.Output out = ReportRenderer.json(big(300, 50), cap);
        assertTrue(out.truncated());
        assertTrue(out.bytes() <= cap, out.bytes() + " bytes");
        JsonNode doc = parse(out.content());
        int kept = doc.at("/steps").size();
        assertTrue(kept > 0 && kept < 300, "kept " + kept);
        assertEquals(300, kept + doc.at("/truncated/omitted/steps").asInt());
        assertEquals(1, doc.at("/truncated/omitted/gates").asInt(), "nothing after the first element that did not fit");
        assertEquals(2, doc.at("/truncated/omitted/events").asInt());
        assertTrue(doc.at("/truncated/note").asText().contains("GET /api/v1/cycles/" + CYCLE));
    }

    @Test
    void theLargestCycleTheLimitsAllowStaysWithinOneMebibytePerFormat() {
        // 2000 steps with 200 metrics each (the limits of invariant 5), each with an 8 KiB error
        ReportData d = big(2000, 200);
        for (ReportRenderer.Output out : List.of(ReportRenderer.markdown(d, ReportRenderer.MAX_BYTES),
                ReportRenderer.json(d, ReportRenderer.MAX_BYTES), ReportRenderer.csv(d, ReportRenderer.MAX_BYTES))) {
            assertTrue(out.truncated());
            assertTrue(out.content().getBytes(StandardCharsets.UTF_8).length <= ReportRenderer.MAX_BYTES,
                    out.bytes() + " bytes");
            assertEquals(out.content().getBytes(StandardCharsets.UTF_8).length, out.bytes());
        }
    }

    @Test
    void utf8LengthCountsBytesNotChars() {
        assertEquals(1 + 2 + 3 + 4, ReportRenderer.utf8Length("a" + "é" + "⏎" + "😀"));
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static ReportData big(int steps, int metricsPerStep) {
        List<ReportData.Step> list = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            Map<String, Double> metrics = new LinkedHashMap<>();
            for (int m = 0; m < metricsPerStep; m++) {
                metrics.put("metric_" + m, m / 7.0);
            }
            list.add(step(i + 1, "step-" + i, "metric", "FAILED", metrics, 5.0, "é".repeat(8192), "{\"n\": " + i + "}"));
        }
        return report(list);
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + e.getMessage() + "\n" + json, e);
        }
    }

    private static int unescapedPipes(String row) {
        int n = 0;
        for (int i = 0; i < row.length(); i++) {
            if (row.charAt(i) == '\\') {
                i++;
            } else if (row.charAt(i) == '|') {
                n++;
            }
        }
        return n;
    }

    /** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes. */
    private static List<List<String>> parseCsv(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"' && field.length() == 0) {
                i++;
                while (true) {
                    char q = text.charAt(i);
                    if (q == '"') {
                        if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                        } else {
                            i++;
                            break;
                        }
                    } else {
                        field.append(q);
                        i++;
                    }
                }
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
                i++;
            } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                i += 2;
            } else {
                assertFalse(c == '\r' || c == '\n' || c == '"', "bare " + (int) c + " outside quotes at " + i);
                field.append(c);
                i++;
            }
        }
        assertEquals(0, field.length() + row.size(), "the last record ends with CRLF");
        return rows;
    }
}
