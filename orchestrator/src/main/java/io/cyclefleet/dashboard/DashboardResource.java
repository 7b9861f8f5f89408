package io.cyclefleet.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cyclefleet.api.JsonBodies;
import io.cyclefleet.api.Page;
import io.cyclefleet.cycle.CycleQueries;
import io.cyclefleet.cycle.CycleViews;
import io.cyclefleet.fleet.FleetStats;
import io.cyclefleet.incident.IncidentConfig;
import io.cyclefleet.incident.IncidentQueries;
import io.cyclefleet.incident.IncidentReport;
import io.cyclefleet.incident.IncidentViews;
import io.cyclefleet.task.CycleStatus;
import io.cyclefleet.timeline.Timeline;
import io.cyclefleet.worker.WorkerQueries;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The dashboard: server-rendered pages over the same queries as the API, refreshed in place by a small
 * script. Reads need the viewer role; the action buttons (shown to operators) call the API itself, so the
 * dashboard adds no second way to change anything.
 */
@Path("/dashboard")
@Produces(MediaType.TEXT_HTML)
public class DashboardResource {

    /** A queue whose oldest task waited longer than this is shown as backlogged (the alert's threshold is in k8s/monitoring). */
    static final Duration OLD_BACKLOG = Duration.ofMinutes(5);
    private static final int REFRESH_SECONDS = 3;
    private static final int PAGE_SIZE = 50;
    private static final int TIMELINE_EVENTS = 300;
    private static final List<String> INCIDENT_STATUSES = List.of("open", "acknowledged", "resolved");
    private static final List<String> CYCLE_STATUSES = Arrays.stream(CycleStatus.values()).map(Enum::name).toList();
    private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "ROLLED_BACK", "FAILED", "CANCELLED");

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance fleet(DashboardViews.Layout layout, DashboardViews.Fleet fleet);

        static native TemplateInstance cycles(DashboardViews.Layout layout, DashboardViews.CycleList list);

        static native TemplateInstance cycle(DashboardViews.Layout layout, DashboardViews.CycleDetail cycle);

        static native TemplateInstance incidents(DashboardViews.Layout layout, DashboardViews.IncidentList list);

        static native TemplateInstance incident(DashboardViews.Layout layout, DashboardViews.IncidentDetail incident);
    }

    private final CycleQueries cycles;
    private final Timeline timeline;
    private final IncidentQueries incidents;
    private final IncidentConfig incidentConfig;
    private final WorkerQueries workers;
    private final FleetStats stats;
    private final SecurityIdentity identity;
    private final ObjectMapper json;

    public DashboardResource(CycleQueries cycles, Timeline timeline, IncidentQueries incidents, IncidentConfig incidentConfig, WorkerQueries workers,
                             FleetStats stats, SecurityIdentity identity, ObjectMapper json) {
        this.cycles = cycles;
        this.timeline = timeline;
        this.incidents = incidents;
        this.incidentConfig = incidentConfig;
        this.workers = workers;
        this.stats = stats;
        this.identity = identity;
        this.json = json;
    }

    @GET
    public String fleet() {
        FleetStats.Snapshot s = stats.snapshot();
        List<DashboardViews.Count> active = io.cyclefleet.task.CycleStatus.ACTIVE.stream().map(Enum::name)
                .map(st -> new DashboardViews.Count(st, s.activeCycles().getOrDefault(st, 0L), "/dashboard/cycles?status=" + st))
                .toList();
        List<DashboardViews.Count> open = List.of("critical", "error", "warning", "info").stream()
                .map(sev -> new DashboardViews.Count(sev, s.openIncidents().stream().filter(i -> i.severity().equals(sev))
                        .mapToLong(FleetStats.IncidentCount::count).sum(), "/dashboard/incidents?status=open"))
                .toList();
        List<DashboardViews.QueueRow> queues = s.queues().stream().map(q -> new DashboardViews.QueueRow(q.queue(), q.depth(),
                q.running(), q.depth() == 0 ? "" : Formats.seconds(q.oldestWaitSeconds()),
                q.oldestWaitSeconds() > OLD_BACKLOG.toSeconds(), String.format(Locale.ROOT, "%.2f/s", q.finishedPerSecond()))).toList();
        List<DashboardViews.WorkerRow> ws = workers.list().stream().map(w -> new DashboardViews.WorkerRow(w.id(), w.state(),
                w.hostname(), w.pid(), String.join(", ", w.queues()), w.concurrency(), w.inFlight(), Formats.time(w.startedAt()),
                Formats.time(w.lastSeenAt()))).toList();
        return Templates.fleet(layout("Fleet", "fleet"),
                new DashboardViews.Fleet(active, open, s.workersLive(), s.workersDraining(), queues, ws)).render();
    }

    @GET
    @Path("cycles")
    public String cycleList(@QueryParam("status") String status, @QueryParam("after") String after) {
        Optional<String> st = chosen(status, CYCLE_STATUSES);
        Page<CycleViews.CycleSummary> page = cycles.list(st, cursor(after), PAGE_SIZE);
        List<DashboardViews.Filter> filters = filters(CYCLE_STATUSES, st);
        List<DashboardViews.CycleRow> rows = page.items().stream().map(c -> new DashboardViews.CycleRow(c.id().toString(), c.name(),
                nullToEmpty(c.target()), c.iteration(), c.status(), Formats.time(c.createdAt()),
                Formats.between(c.createdAt(), c.finishedAt()), nullToEmpty(c.error()))).toList();
        return Templates.cycles(layout("Cycles", "cycles"),
                new DashboardViews.CycleList(filters, rows, nextPage("/dashboard/cycles", st, page))).render();
    }

    @GET
    @Path("cycles/{id}")
    public String cycle(@PathParam("id") String id) {
        UUID cycleId = JsonBodies.uuid(id, "id");
        CycleViews.Cycle c = cycles.cycle(cycleId).orElseThrow(() -> new NotFoundException("no cycle " + cycleId));
        List<DashboardViews.TaskRow> tasks = c.tasks().stream().map(t -> new DashboardViews.TaskRow(t.id(), t.key(), t.kind(),
                t.branch(), t.risk(), t.status(), t.attempts() + " / " + t.maxAttempts(), t.queue() + " · " + t.priority(),
                nullToEmpty(t.workerId()), Formats.time(t.createdAt()), Formats.between(t.createdAt(), t.startedAt()),
                Formats.between(t.startedAt(), t.finishedAt()), t.score() == null ? "" : String.valueOf(t.score()),
                nullToEmpty(t.error()), t.result() == null ? "" : t.result().toString(), c.awaitingApproval().contains(t.key())))
                .toList();
        List<DashboardViews.EventRow> events = timeline.latestEvents(cycleId, TIMELINE_EVENTS).stream()
                .map(e -> new DashboardViews.EventRow(Formats.time(e.at()), e.type(), nullToEmpty(e.taskKey()),
                        e.fromStatus() == null && e.toStatus() == null ? "" : nullToEmpty(e.fromStatus()) + " → " + nullToEmpty(e.toStatus()),
                        e.attempt() == null ? "" : e.attempt().toString(), nullToEmpty(e.workerId()), nullToEmpty(e.detail())))
                .toList();
        String rollback = c.rollback() == null ? "" : "started " + Formats.time(c.rollback().failureDetectedAt())
                + (c.rollback().startedBy() == null ? "" : " by " + c.rollback().startedBy()) + " ("
                + nullToEmpty(c.rollback().cause()) + ")" + (c.rollback().mttrMs() == null ? ""
                : ", recovered in " + Formats.duration(Duration.ofMillis(c.rollback().mttrMs())));
        List<DashboardViews.DeploymentRow> deployments = c.deployments().stream().map(d -> new DashboardViews.DeploymentRow(d.step(),
                d.attempt(), d.action(), d.adapter(), (d.observedVersion() == null ? "(none or unknown)" : d.observedVersion()) + " → " + d.toVersion(),
                d.fencingToken(), nullToEmpty(d.workerId()), Formats.time(d.recordedAt()),
                d.endedAt() != null ? "ended " + Formats.time(d.endedAt()) : "may act until " + Formats.time(d.actUntil()))).toList();
        String counts = c.taskCounts().entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
        DashboardViews.CycleDetail view = new DashboardViews.CycleDetail(c.id().toString(), c.name(), nullToEmpty(c.target()),
                c.status(), nullToEmpty(c.error()), c.iteration(), c.parentId() == null ? null : c.parentId().toString(),
                c.nextIterationId() == null ? null : c.nextIterationId().toString(), Formats.time(c.createdAt()),
                Formats.time(c.finishedAt()), Formats.between(c.createdAt(), c.finishedAt()), Formats.time(c.deadlineAt()),
                c.averageScore() == null ? "" : String.valueOf(c.averageScore()), counts, rollback, c.awaitingApproval(),
                c.waitingForCycle() == null ? null : c.waitingForCycle().toString(), DagLayout.layout(c.tasks()), tasks, deployments,
                events, cycleActions(c));
        return Templates.cycle(layout("Cycle " + c.name(), "cycles"), view).render();
    }

    @GET
    @Path("incidents")
    public String incidentList(@QueryParam("status") String status, @QueryParam("after") String after) {
        Optional<String> st = chosen(status, INCIDENT_STATUSES);
        Page<IncidentViews.Summary> page = incidents.list(st, cursor(after), PAGE_SIZE);
        List<DashboardViews.Filter> filters = filters(INCIDENT_STATUSES, st);
        List<DashboardViews.IncidentRow> rows = page.items().stream().map(i -> new DashboardViews.IncidentRow(i.id().toString(),
                i.title(), i.severity(), i.status(), i.target(), i.cause(), i.occurrences(), Formats.time(i.openedAt()),
                Formats.time(i.lastSeenAt()))).toList();
        return Templates.incidents(layout("Incidents", "incidents"),
                new DashboardViews.IncidentList(filters, rows, nextPage("/dashboard/incidents", st, page))).render();
    }

    @GET
    @Path("incidents/{id}")
    public String incident(@PathParam("id") String id) {
        UUID incidentId = JsonBodies.uuid(id, "id");
        IncidentViews.Incident i = incidents.incident(incidentId).orElseThrow(() -> new NotFoundException("no incident " + incidentId));
        String report = IncidentReport.render(i, timeline.latestEvents(i.latestCycleId(), 1000),
                incidentConfig.publicUrl().replaceAll("/+$", ""));
        List<DashboardViews.NotificationRow> notes = i.notifications().stream().map(n -> new DashboardViews.NotificationRow(n.id(),
                n.action(), n.status(), n.attempts(), nullToEmpty(n.lastError()), Formats.time(n.createdAt()),
                Formats.time(n.deliveredAt()))).toList();
        List<DashboardViews.Action> actions = new ArrayList<>();
        if ("open".equals(i.status())) {
            actions.add(new DashboardViews.Action("Acknowledge", "/api/v1/incidents/" + i.id() + "/ack", "", null, false));
        }
        if (!"resolved".equals(i.status())) {
            actions.add(new DashboardViews.Action("Resolve", "/api/v1/incidents/" + i.id() + "/resolve", "",
                    "Resolve this incident? Only when the target is healthy again.", false));
        }
        DashboardViews.IncidentDetail view = new DashboardViews.IncidentDetail(i.id().toString(), i.title(), i.severity(), i.status(),
                i.target(), i.cause(), i.cycleId().toString(), i.latestCycleId().toString(), i.occurrences(), Formats.time(i.openedAt()),
                i.acknowledgedAt() == null ? "" : Formats.time(i.acknowledgedAt()) + " by " + i.acknowledgedBy(),
                i.resolvedAt() == null ? "" : Formats.time(i.resolvedAt()) + " by " + i.resolvedBy(),
                nullToEmpty(i.runbookUrl()), Markdown.toHtml(report), notes, operator() ? actions : List.of());
        return Templates.incident(layout("Incident " + i.title(), "incidents"), view).render();
    }

    private List<DashboardViews.Action> cycleActions(CycleViews.Cycle c) {
        if (!operator()) {
            return List.of();
        }
        String base = "/api/v1/cycles/" + c.id();
        List<DashboardViews.Action> out = new ArrayList<>();
        if ("AWAITING_APPROVAL".equals(c.status())) {
            out.add(new DashboardViews.Action("Approve " + String.join(", ", c.awaitingApproval()), base + "/approve",
                    body(Map.of("steps", c.awaitingApproval())), "Run " + String.join(", ", c.awaitingApproval()) + "?", false));
            out.add(new DashboardViews.Action("Reject", base + "/reject", "", "Reject: the cycle ends CANCELLED.", true));
        }
        if (Set.of("FAILED", "CANCELLED").contains(c.status())) {
            out.add(new DashboardViews.Action("Retry", base + "/retry", "", "Rerun the unfinished steps, keeping what succeeded?", false));
        }
        if (!TERMINAL.contains(c.status())) {
            boolean deployed = c.deployments().stream().anyMatch(d -> "deploy".equals(d.action()));
            if (c.rollback() != null) {
                out.add(new DashboardViews.Action("Stop the rollback", base + "/cancel?rollback=false", "",
                        "Stop the rollback too? The target may keep running the new version.", true));
            } else if (deployed) {
                out.add(new DashboardViews.Action("Cancel and roll back", base + "/cancel", "",
                        "Cancel this cycle? It has deployed: the rollback branch runs first.", true));
                out.add(new DashboardViews.Action("Cancel without rollback", base + "/cancel?rollback=false", "",
                        "Cancel without rolling back? The target keeps the version this cycle deployed.", true));
            } else {
                out.add(new DashboardViews.Action("Cancel", base + "/cancel", "", "Cancel this cycle? Running steps are stopped.", true));
            }
        }
        return out;
    }

    /** The status filter as the store spells it, ignoring case; empty for "all" and for anything unknown. */
    private static Optional<String> chosen(String status, List<String> statuses) {
        return statuses.stream().filter(v -> v.equalsIgnoreCase(status)).findFirst();
    }

    /** The paging cursor (the last id of the previous page); a malformed one is a 400, as in the API. */
    private static Optional<UUID> cursor(String after) {
        return Optional.ofNullable(after).filter(a -> !a.isBlank()).map(a -> JsonBodies.uuid(a, "after"));
    }

    /** "all" and one filter per status, the selected one marked. */
    private static List<DashboardViews.Filter> filters(List<String> statuses, Optional<String> selected) {
        List<DashboardViews.Filter> out = new ArrayList<>();
        out.add(new DashboardViews.Filter("", "all", selected.isEmpty()));
        statuses.forEach(v -> out.add(new DashboardViews.Filter(v, v, selected.map(v::equals).orElse(false))));
        return out;
    }

    /** The link to the page after this one, keeping the filter; null on the last page. */
    private static String nextPage(String path, Optional<String> status, Page<?> page) {
        return page.next() == null ? null : path + "?" + status.map(x -> "status=" + x + "&").orElse("") + "after=" + page.next();
    }

    private DashboardViews.Layout layout(String title, String nav) {
        String user = identity.isAnonymous() ? "" : identity.getPrincipal().getName();
        return new DashboardViews.Layout(title, nav, user, operator(), REFRESH_SECONDS);
    }

    private boolean operator() {
        return identity.hasRole("operator");
    }

    private String body(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
