package io.cyclefleet.handler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Renders a {@link ReportData} as Markdown (for people), JSON (the same data, structured) and CSV (one row per
 * step and metric, plus score rows). Pure functions: no I/O. Every output is capped at {@code maxBytes} of
 * UTF-8 (invariant 5): what does not fit is left out at a line (Markdown, CSV) or element (JSON) boundary
 * and a note says so, so a truncated report is still valid in its format.
 */
public final class ReportRenderer {

    /** Cap of each stored format (the {@code cycle_report.content} check enforces it too). */
    public static final int MAX_BYTES = 1 << 20;
    /** Room kept free for the truncation note and the closing of a JSON document. */
    static final int NOTE_RESERVE = 1024;
    static final int ERROR_CELL = 160;
    static final int CELL = 300;
    static final int RESULT_CHARS = 1000;
    public static final String CSV_HEADER = "step,kind,status,metric,value";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'");

    private ReportRenderer() {
    }

    /** One rendered format: its content (at most the cap) and whether something was left out. */
    public record Output(String content, boolean truncated) {
        public int bytes() {
            return utf8Length(content);
        }
    }

    /** Where the report and the cycle can be fetched. */
    public static String reportPath(ReportData d) {
        return cyclePath(d) + "/report";
    }

    static String cyclePath(ReportData d) {
        return "/api/v1/cycles/" + d.cycle().id();
    }

    public static String title(ReportData d) {
        return d.title() != null ? d.title() : "Cycle report: " + d.cycle().name();
    }

    // ---------------------------------------------------------------------------------------------- Markdown

    public static Output markdown(ReportData d, int maxBytes) {
        Lines md = new Lines(maxBytes - NOTE_RESERVE, "\n");
        ReportData.Cycle c = d.cycle();
        md.add("# " + oneLine(title(d)));
        md.add("");
        md.add("Written " + time(d.generatedAt()) + " by step `" + d.reportStep() + "` (task " + d.reportTaskId() + ", attempt "
                + d.reportAttempt() + ") while the cycle was " + c.status() + ": this is the cycle as it was at that moment. "
                + "The live state: `GET " + cyclePath(d) + "`.");
        md.add("");
        md.add("## Overview");
        md.add("");
        md.add("| | |");
        md.add("|---|---|");
        row(md, "Cycle", c.name());
        row(md, "Cycle id", c.id().toString());
        row(md, "Target", c.target() == null ? "—" : c.target());
        row(md, "Iteration", Integer.toString(c.iteration()));
        row(md, "Status at report time", c.status());
        row(md, "Created", time(c.createdAt()));
        row(md, "Finished", c.finishedAt() == null ? "not yet" : time(c.finishedAt()));
        if (c.deadlineAt() != null) {
            row(md, "Deadline", time(c.deadlineAt()));
        }
        row(md, "Steps", d.steps().size() + statusCounts(d));
        row(md, "Failed steps", Long.toString(d.failedSteps()));
        Double avg = d.averageScore();
        row(md, "Average score", avg == null ? "— (no step reported a score)"
                : num(avg) + " (over " + d.scoredSteps() + " scored step" + (d.scoredSteps() == 1 ? "" : "s") + ")");
        if (c.failureDetectedAt() != null) {
            row(md, "Rollback", "started " + time(c.failureDetectedAt()) + (c.rollbackCause() == null ? "" : ": " + c.rollbackCause())
                    + (c.mttrMs() == null ? "" : String.format(Locale.ROOT, "; time to recover %.1f s", c.mttrMs() / 1000.0)));
        }
        if (c.error() != null) {
            row(md, "Cycle error", c.error());
        }

        md.add("");
        md.add("## Steps");
        md.add("");
        md.add("| Step | Kind | Branch | Status | Attempts | Duration | Score | Error |");
        md.add("|---|---|---|---|---|---|---|---|");
        for (ReportData.Step s : d.steps()) {
            md.add("| " + cell(s.key(), CELL) + " | " + cell(s.kind(), CELL) + " | " + cell(s.branch(), CELL) + " | " + s.status()
                    + " | " + s.attempt() + "/" + s.maxAttempts() + " | " + duration(s) + " | "
                    + (s.score() == null ? "" : num(s.score())) + " | " + cell(s.error(), ERROR_CELL) + " |");
        }

        md.add("");
        md.add("## Metrics and results");
        md.add("");
        boolean any = false;
        for (ReportData.Step s : d.steps()) {
            if (s.metrics().isEmpty() && s.resultBytes() == 0) {
                continue;
            }
            any = true;
            md.add("### " + oneLine(s.key()) + " (" + oneLine(s.kind()) + ", " + s.status() + ")");
            md.add("");
            if (!s.metrics().isEmpty()) {
                md.add("| Metric | Value |");
                md.add("|---|---|");
                new TreeMap<>(s.metrics()).forEach((name, value) -> md.add("| " + cell(name, CELL) + " | " + num(value) + " |"));
                md.add("");
            }
            if (s.result() != null) {
                md.add("Result" + (s.result().length() > RESULT_CHARS ? " (abbreviated)" : "") + ":");
                md.add("");
                md.add("```json");
                md.add(abbreviate(s.result().replace("\r", "").replace("\n", " "), RESULT_CHARS).replace("```", "'''"));
                md.add("```");
                md.add("");
            } else if (s.resultBytes() > 0) {
                md.add("Result: " + s.resultBytes() + " bytes, too long to quote here; see `GET " + cyclePath(d) + "`.");
                md.add("");
            }
        }
        if (!any) {
            md.add("No step reported metrics or a result.");
            md.add("");
        }

        md.add("## Quality gates");
        md.add("");
        if (d.gates().isEmpty()) {
            md.add("No gate was evaluated.");
        } else {
            md.add("| Gate | Verdict | Condition | Observed | Threshold | Condition verdict | Evaluated |");
            md.add("|---|---|---|---|---|---|---|");
            for (ReportData.GateEvaluation g : d.gates()) {
                for (ReportData.Condition k : g.conditions()) {
                    md.add("| " + cell(g.gate(), CELL) + " | " + cell(g.verdict(), CELL) + " | " + cell(k.condition(), CELL) + " | "
                            + (k.observed() == null ? "no data" : num(k.observed())) + " | "
                            + cell(k.op() + " " + (k.threshold() == null ? "" : num(k.threshold())), CELL) + " | "
                            + cell(k.verdict(), CELL) + " | " + time(g.evaluatedAt()) + " |");
                }
            }
        }

        md.add("");
        md.add("## Timeline");
        md.add("");
        md.add(d.timeline().size() < d.totalEvents()
                ? "The newest " + d.timeline().size() + " of " + d.totalEvents() + " events, oldest first; all of them: `GET "
                        + cyclePath(d) + "/events`."
                : "All " + d.totalEvents() + " events, oldest first.");
        md.add("");
        md.add("| Time | Event | Step | Attempt | Worker | Detail |");
        md.add("|---|---|---|---|---|---|");
        for (ReportData.Event e : d.timeline()) {
            md.add("| " + time(e.at()) + " | " + cell(e.type(), CELL) + " | " + cell(e.step(), CELL) + " | "
                    + (e.attempt() == null ? "" : e.attempt()) + " | " + cell(e.workerId(), CELL) + " | " + cell(e.detail(), CELL) + " |");
        }
        String note = "\n---\n\n**Truncated**: this report exceeded the limit of " + maxBytes + " bytes, so its last "
                + md.omitted() + " lines were left out. The whole cycle: `GET " + cyclePath(d) + "`; its timeline: `GET "
                + cyclePath(d) + "/events`.\n";
        return md.finish(note);
    }

    private static String statusCounts(ReportData d) {
        Map<String, Integer> counts = new TreeMap<>();
        d.steps().forEach(s -> counts.merge(s.status(), 1, Integer::sum));
        StringBuilder sb = new StringBuilder();
        counts.forEach((status, n) -> sb.append(sb.length() == 0 ? " (" : ", ").append(n).append(' ').append(status));
        return sb.length() == 0 ? "" : sb.append(')').toString();
    }

    private static void row(Lines md, String key, String value) {
        md.add("| " + cell(key, CELL) + " | " + cell(value, CELL) + " |");
    }

    /**
     * A Markdown table cell: abbreviated to {@code max} characters, on one line, with backslashes and pipes
     * escaped so that the text cannot end the cell or change the table.
     */
    static String cell(String s, int max) {
        if (s == null) {
            return "";
        }
        return abbreviate(s, max).replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ⏎ ").replace("\r", " ⏎ ")
                .replace("\n", " ⏎ ");
    }

    private static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\r', ' ').replace('\n', ' ');
    }

    static String abbreviate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int cut = Character.isLowSurrogate(s.charAt(max)) ? max - 1 : max;
        return s.substring(0, cut) + "…";
    }

    private static String duration(ReportData.Step s) {
        Long ms = s.durationMs();
        if (ms == null) {
            return s.startedAt() != null && "RUNNING".equals(s.status()) ? "running" : "—";
        }
        return ms < 60_000 ? String.format(Locale.ROOT, "%.3f s", ms / 1000.0)
                : String.format(Locale.ROOT, "%d min %.1f s", ms / 60_000, (ms % 60_000) / 1000.0);
    }

    private static String time(Instant t) {
        return t == null ? "" : t.atOffset(ZoneOffset.UTC).format(TIME);
    }

    /** A number as CSV and Markdown show it: integral values without a fraction, others as Java prints them. */
    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    // ---------------------------------------------------------------------------------------------- JSON

    /**
     * {@code {report, cycle, steps: [...], gates: [...], timeline: {total, events: [...]}, truncated}}: steps,
     * gate evaluations and events are added whole while they fit, in that order; {@code truncated} is null
     * or says how many of each were left out.
     */
    public static Output json(ReportData d, int maxBytes) {
        ReportData.Cycle c = d.cycle();
        ObjectNode report = JSON.createObjectNode()
                .put("title", title(d))
                .put("generatedAt", iso(d.generatedAt()))
                .put("step", d.reportStep())
                .put("taskId", d.reportTaskId())
                .put("attempt", d.reportAttempt())
                .put("note", "the cycle as it was when the report step ran (cycle status " + c.status() + ")");
        ObjectNode cycle = JSON.createObjectNode()
                .put("id", c.id().toString())
                .put("name", c.name())
                .put("target", c.target())
                .put("iteration", c.iteration())
                .put("status", c.status())
                .put("error", c.error())
                .put("createdAt", iso(c.createdAt()))
                .put("finishedAt", iso(c.finishedAt()))
                .put("deadlineAt", iso(c.deadlineAt()))
                .put("averageScore", d.averageScore())
                .put("steps", d.steps().size())
                .put("failedSteps", d.failedSteps());
        ObjectNode counts = cycle.putObject("taskCounts");
        new TreeMap<>(d.steps().stream().collect(Collectors.groupingBy(ReportData.Step::status, Collectors.counting())))
                .forEach(counts::put);
        if (c.failureDetectedAt() == null) {
            cycle.putNull("rollback");
        } else {
            cycle.putObject("rollback").put("failureDetectedAt", iso(c.failureDetectedAt())).put("cause", c.rollbackCause())
                    .put("mttrMs", c.mttrMs());
        }

        Budget out = new Budget(maxBytes - NOTE_RESERVE);
        out.raw("{\"report\":").raw(write(report)).raw(",\"cycle\":").raw(write(cycle)).raw(",\"steps\":[");
        int steps = out.elements(d.steps(), s -> write(step(d, s)));
        out.raw("],\"gates\":[");
        int gates = out.elements(d.gates(), g -> write(gate(g)));
        out.raw("],\"timeline\":{\"total\":").raw(Long.toString(d.totalEvents())).raw(",\"events\":[");
        int events = out.elements(d.timeline(), e -> write(event(e)));
        out.raw("]},\"truncated\":");
        int omittedSteps = d.steps().size() - steps;
        int omittedGates = d.gates().size() - gates;
        int omittedEvents = d.timeline().size() - events;
        boolean truncated = omittedSteps + omittedGates + omittedEvents > 0;
        if (truncated) {
            ObjectNode t = JSON.createObjectNode()
                    .put("note", "the report exceeded the limit of " + maxBytes + " bytes; the whole cycle: GET " + cyclePath(d));
            t.putObject("omitted").put("steps", omittedSteps).put("gates", omittedGates).put("events", omittedEvents);
            out.tail(write(t));
        } else {
            out.tail("null");
        }
        out.tail("}");
        return new Output(out.toString(), truncated);
    }

    private static ObjectNode step(ReportData d, ReportData.Step s) {
        ObjectNode n = JSON.createObjectNode()
                .put("id", s.id())
                .put("key", s.key())
                .put("kind", s.kind())
                .put("branch", s.branch())
                .put("status", s.status())
                .put("attempt", s.attempt())
                .put("maxAttempts", s.maxAttempts())
                .put("workerId", s.workerId())
                .put("queuedAt", iso(s.queuedAt()))
                .put("startedAt", iso(s.startedAt()))
                .put("finishedAt", iso(s.finishedAt()))
                .put("durationMs", s.durationMs());
        ObjectNode metrics = n.putObject("metrics");
        new TreeMap<>(s.metrics()).forEach(metrics::put);
        n.put("score", s.score());
        n.put("error", s.error());
        if (s.result() != null) {
            n.set("result", parseOrText(s.result()));
        } else {
            n.putNull("result");
            if (s.resultBytes() > 0) {
                n.put("resultOmitted", s.resultBytes() + " bytes, too long to include; see GET " + cyclePath(d));
            }
        }
        return n;
    }

    private static ObjectNode gate(ReportData.GateEvaluation g) {
        ObjectNode n = JSON.createObjectNode()
                .put("id", g.id())
                .put("gate", g.gate())
                .put("verdict", g.verdict())
                .put("evaluatedAt", iso(g.evaluatedAt()));
        ArrayNode conditions = n.putArray("conditions");
        for (ReportData.Condition k : g.conditions()) {
            conditions.addObject().put("condition", k.condition()).put("observed", k.observed()).put("op", k.op())
                    .put("threshold", k.threshold()).put("verdict", k.verdict());
        }
        return n;
    }

    private static ObjectNode event(ReportData.Event e) {
        return JSON.createObjectNode()
                .put("id", e.id())
                .put("at", iso(e.at()))
                .put("type", e.type())
                .put("step", e.step())
                .put("fromStatus", e.fromStatus())
                .put("toStatus", e.toStatus())
                .put("attempt", e.attempt())
                .put("workerId", e.workerId())
                .put("detail", e.detail());
    }

    private static JsonNode parseOrText(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }

    private static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }

    // ---------------------------------------------------------------------------------------------- CSV

    /**
     * {@code step,kind,status,metric,value}: a row per metric of each step (by name), then a {@code score} row
     * when the step reported one. RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes
     * doubled. When the cap is reached the last row says how many rows were left out.
     */
    public static Output csv(ReportData d, int maxBytes) {
        Lines csv = new Lines(maxBytes - NOTE_RESERVE, "\r\n");
        csv.add(CSV_HEADER);
        for (ReportData.Step s : d.steps()) {
            new TreeMap<>(s.metrics()).forEach((name, value) -> csv.add(csvRow(s.key(), s.kind(), s.status(), name, num(value))));
            if (s.score() != null) {
                csv.add(csvRow(s.key(), s.kind(), s.status(), "score", num(s.score())));
            }
        }
        return csv.finish(csvRow("(truncated: over " + maxBytes + " bytes)", "", "", "rows_omitted", Long.toString(csv.omitted())) + "\r\n");
    }

    static String csvRow(String... fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(csvField(fields[i]));
        }
        return sb.toString();
    }

    static String csvField(String s) {
        if (s == null) {
            return "";
        }
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\r') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    // ---------------------------------------------------------------------------------------------- bounds

    /** Whole lines while they fit in the budget; once one does not, it and every later line are left out. */
    static final class Lines {
        private final StringBuilder sb = new StringBuilder();
        private final int budget;
        private final String eol;
        private int bytes;
        private long omitted;

        Lines(int budget, String eol) {
            this.budget = budget;
            this.eol = eol;
        }

        boolean add(String line) {
            if (omitted == 0) {
                String l = noNul(line) + eol;
                int b = utf8Length(l);
                if (bytes + b <= budget) {
                    sb.append(l);
                    bytes += b;
                    return true;
                }
            }
            omitted++;
            return false;
        }

        long omitted() {
            return omitted;
        }

        /** The content, with {@code note} appended when lines were left out. */
        Output finish(String note) {
            if (omitted == 0) {
                return new Output(sb.toString(), false);
            }
            return new Output(sb.append(abbreviate(noNul(note), NOTE_RESERVE / 3)).toString(), true);
        }
    }

    /** JSON text built from whole elements while they fit; the tail (closing and note) uses the reserve. */
    static final class Budget {
        private final StringBuilder sb = new StringBuilder();
        private final int budget;
        private int bytes;
        private boolean full;

        Budget(int budget) {
            this.budget = budget;
        }

        Budget raw(String s) {
            sb.append(s);
            bytes += utf8Length(s);
            return this;
        }

        /**
         * Appends the elements that fit, comma-separated; once one does not, no later element is added (nor
         * written: a report far over the cap costs no more memory than one at the cap).
         */
        <T> int elements(List<T> items, Function<T, String> writer) {
            int added = 0;
            for (T element : items) {
                if (full) {
                    break;
                }
                String item = writer.apply(element);
                int b = utf8Length(item) + (added > 0 ? 1 : 0);
                if (full || bytes + b > budget) {
                    full = true;
                    break;
                }
                raw(added > 0 ? "," + item : item);
                added++;
            }
            return added;
        }

        void tail(String s) {
            sb.append(s);
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }

    private static String noNul(String s) {
        return s.indexOf('\u0000') < 0 ? s : s.replace('\u0000', '\uFFFD');
    }

    static int utf8Length(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                n++;
            } else if (ch < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
