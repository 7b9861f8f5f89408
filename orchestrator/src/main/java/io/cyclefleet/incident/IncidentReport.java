package io.cyclefleet.incident;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.timeline.TimelineEvent;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Renders an incident as Markdown that an on-call engineer can read cold: what broke, on which target, what
 * tripped against which threshold, what was rolled back and whether that worked, the timeline, and what to
 * do next.
 */
public final class IncidentReport {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'");
    /** Cycle events worth a line in an incident's timeline; the full log is one API call away. */
    private static final List<String> NOTABLE = List.of("cycle.", "task.failed", "task.retry_wait", "task.succeeded",
            "task.cancelled", "task.delivery_rejected", "task.result_rejected");

    private IncidentReport() {
    }

    public static String render(IncidentViews.Incident i, List<TimelineEvent> cycleEvents, String baseUrl) {
        JsonNode d = i.details();
        JsonNode cycle = d.path("cycle");
        StringBuilder md = new StringBuilder();
        md.append("# [").append(i.severity().toUpperCase(Locale.ROOT)).append("] ").append(i.title()).append("\n\n");
        md.append("| | |\n|---|---|\n");
        row(md, "Status", i.status() + (i.acknowledgedBy() == null ? "" : " (acknowledged by " + i.acknowledgedBy() + " at " + time(i.acknowledgedAt()) + ")")
                + (i.resolvedBy() == null ? "" : " (resolved by " + i.resolvedBy() + " at " + time(i.resolvedAt()) + ")"));
        row(md, "Severity", i.severity());
        row(md, "Target", i.target());
        row(md, "Cause", i.cause());
        row(md, "Opened", time(i.openedAt()));
        row(md, "Occurrences", i.occurrences() + (i.occurrences() > 1 ? " (last " + time(i.lastSeenAt()) + ")" : ""));
        row(md, "Cycle", cycle.path("name").asText() + " — " + cycle.path("id").asText() + ", iteration "
                + cycle.path("iteration").asText() + ", ended " + cycle.path("status").asText());
        row(md, "Runbook", i.runbookUrl());
        row(md, "Incident id", i.id().toString());
        md.append("\n## What happened\n\n");
        if (d.hasNonNull("trigger")) {
            md.append("Failure detected: ").append(d.get("trigger").asText()).append("\n\n");
        }
        if (cycle.hasNonNull("error")) {
            md.append("Cycle outcome: ").append(cycle.get("error").asText()).append("\n\n");
        }
        if (cycle.hasNonNull("deadlineAt") && "deadline-exceeded".equals(i.cause())) {
            md.append("Deadline: ").append(cycle.get("deadlineAt").asText()).append("\n\n");
        }
        failingTasks(md, d.path("failingTasks"));
        trippedConditions(md, d.path("trippedConditions"));
        rollback(md, d.path("rollback"));
        timeline(md, i, cycleEvents);
        String cycleUrl = baseUrl + "/api/v1/cycles/" + i.latestCycleId();
        md.append("\n## Next steps\n\n");
        md.append("1. Acknowledge so others know you have it: `POST ").append(baseUrl).append("/api/v1/incidents/").append(i.id()).append("/ack`\n");
        md.append("2. Follow the runbook for `").append(i.cause()).append("`: ").append(i.runbookUrl()).append("\n");
        md.append("3. The cycle and its tasks: `GET ").append(cycleUrl).append("`; the full timeline: `GET ").append(cycleUrl).append("/events`\n");
        md.append("4. Once the target is healthy: `POST ").append(baseUrl).append("/api/v1/incidents/").append(i.id()).append("/resolve`\n");
        return md.toString();
    }

    private static void failingTasks(StringBuilder md, JsonNode tasks) {
        md.append("## Failing tasks\n\n");
        if (tasks.isEmpty()) {
            md.append("None: every task that ran succeeded.\n\n");
            return;
        }
        for (JsonNode t : tasks) {
            md.append("### ").append(t.path("step").asText()).append(" (").append(t.path("kind").asText())
                    .append(", ").append(t.path("branch").asText()).append(" branch)\n\n");
            md.append("Attempt ").append(t.path("attempt").asText()).append(" of ").append(t.path("maxAttempts").asText())
                    .append(t.hasNonNull("workerId") ? " on worker " + t.get("workerId").asText() : "")
                    .append(t.hasNonNull("finishedAt") ? ", ended " + t.get("finishedAt").asText() : "").append(".\n\n");
            if (t.hasNonNull("error")) {
                md.append("```\n").append(t.get("error").asText().replace("```", "'''")).append("\n```\n\n");
            }
            JsonNode metrics = t.path("metrics");
            if (metrics.isObject() && !metrics.isEmpty()) {
                md.append("| Metric | Value |\n|---|---|\n");
                metrics.fields().forEachRemaining(m -> row(md, m.getKey(), m.getValue().asText()));
                md.append("\n");
            }
        }
    }

    private static void trippedConditions(StringBuilder md, JsonNode conditions) {
        md.append("## Conditions that tripped\n\n");
        if (conditions.isEmpty()) {
            md.append("No quality gate failed.\n\n");
            return;
        }
        md.append("| Gate | Condition | Observed | Required | Verdict |\n|---|---|---|---|---|\n");
        for (JsonNode c : conditions) {
            md.append("| ").append(cell(c.path("gate").asText())).append(" | ").append(cell(c.path("condition").asText()))
                    .append(" | ").append(c.path("observed").isNull() ? "no data" : c.path("observed").asText())
                    .append(" | ").append(cell(c.path("op").asText() + " " + c.path("threshold").asText()))
                    .append(" | ").append(c.path("verdict").asText()).append(" |\n");
        }
        md.append("\n");
    }

    private static void rollback(StringBuilder md, JsonNode rb) {
        md.append("## Rollback\n\n");
        if (rb.isMissingNode() || rb.isNull()) {
            md.append("No rollback ran.\n\n");
            return;
        }
        boolean ok = rb.path("succeeded").asBoolean();
        md.append("Rolled back: **").append(ok ? "yes, and verified" : "NO — the rollback failed; the target may still run the bad version")
                .append("**. Failure detected ").append(rb.path("detectedAt").asText());
        if (rb.hasNonNull("finishedAt")) {
            md.append(", rollback ended ").append(rb.get("finishedAt").asText());
        }
        if (rb.hasNonNull("mttrMs")) {
            md.append(String.format(Locale.ROOT, ", time to recover %.1f s", rb.get("mttrMs").asLong() / 1000.0));
        }
        md.append(".\n\n| Step | Kind | Status | Error |\n|---|---|---|---|\n");
        for (JsonNode s : rb.path("steps")) {
            md.append("| ").append(cell(s.path("step").asText())).append(" | ").append(cell(s.path("kind").asText())).append(" | ")
                    .append(s.path("status").asText()).append(" | ").append(cell(s.path("error").asText(""))).append(" |\n");
        }
        md.append("\n");
    }

    private record Line(OffsetDateTime at, String event, String detail) {
    }

    private static void timeline(StringBuilder md, IncidentViews.Incident i, List<TimelineEvent> cycleEvents) {
        List<Line> lines = new ArrayList<>();
        for (TimelineEvent e : cycleEvents) {
            if (NOTABLE.stream().anyMatch(e.type()::startsWith)) {
                String what = e.taskKey() == null ? e.type() : e.type() + " " + e.taskKey() + (e.attempt() == null ? "" : " #" + e.attempt());
                lines.add(new Line(e.at(), what, e.detail()));
            }
        }
        for (IncidentViews.Event e : i.events()) {
            lines.add(new Line(e.at(), "incident." + e.type() + " by " + e.actor(), e.detail()));
        }
        lines.sort(Comparator.comparing(Line::at));
        md.append("## Timeline\n\n| Time | Event | Detail |\n|---|---|---|\n");
        for (Line l : lines) {
            md.append("| ").append(time(l.at())).append(" | ").append(cell(l.event())).append(" | ")
                    .append(cell(l.detail() == null ? "" : l.detail())).append(" |\n");
        }
    }

    private static void row(StringBuilder md, String key, String value) {
        md.append("| ").append(cell(key)).append(" | ").append(cell(value)).append(" |\n");
    }

    private static String cell(String s) {
        String flat = s == null ? "" : s.replace("|", "\\|").replace("\r", "").replace("\n", " ⏎ ");
        return flat.length() > 300 ? flat.substring(0, 300) + "…" : flat;
    }

    private static String time(OffsetDateTime t) {
        return t == null ? "" : t.atZoneSameInstant(ZoneOffset.UTC).format(TIME);
    }
}
