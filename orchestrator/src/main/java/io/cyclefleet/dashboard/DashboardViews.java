package io.cyclefleet.dashboard;

import java.util.List;

/** What the dashboard's templates render: already formatted, so the templates only lay it out. */
public final class DashboardViews {

    private DashboardViews() {
    }

    /** Every page: its title, which navigation entry is current, who is looking and whether they may act. */
    public record Layout(String title, String nav, String user, boolean operator, int refreshSeconds) {
    }

    public record QueueRow(String queue, long depth, long running, String oldestWait, boolean backlogOld, String throughput) {
    }

    public record WorkerRow(String id, String state, String hostname, long pid, String queues, int concurrency, int inFlight,
                     String started, String lastSeen) {
    }

    public record Count(String label, long value, String href) {
    }

    public record Fleet(List<Count> cycles, List<Count> incidents, long workersLive, long workersDraining,
                 List<QueueRow> queues, List<WorkerRow> workers) {
    }

    public record CycleRow(String id, String name, String target, int iteration, String status, String created, String took,
                    String error) {
    }

    public record Filter(String value, String label, boolean selected) {
    }

    public record CycleList(List<Filter> statuses, List<CycleRow> cycles, String nextPage) {
    }

    public record TaskRow(long id, String key, String kind, String branch, String risk, String status, String attempts,
                   String queue, String worker, String created, String waited, String ran, String score, String error,
                   String result, boolean awaitingApproval) {
    }

    public record EventRow(String at, String type, String task, String transition, String attempt, String worker, String detail) {
    }

    /** A button that POSTs to the API (the page's script adds the CSRF header); {@code body} is JSON or "". */
    public record Action(String label, String path, String body, String confirm, boolean danger) {
    }

    /** {@code waitingFor}: while WAITING_FOR_TARGET, the cycle changing the same target. */
    public record CycleDetail(String id, String name, String target, String status, String error, int iteration, String parentId,
                       String nextIterationId, String created, String finished, String took, String deadline,
                       String averageScore, String counts, String rollback, List<String> awaitingApproval, String waitingFor,
                       DagLayout.Dag dag, List<TaskRow> tasks, List<DeploymentRow> deployments, List<EventRow> events,
                       List<Action> actions) {
    }

    /** A deployment intent: what an attempt was about to change, recorded before it acted; {@code state} says whether it may still act. */
    public record DeploymentRow(String step, int attempt, String action, String adapter, String change, long fencingToken, String worker,
                                String recorded, String state) {
    }

    public record IncidentRow(String id, String title, String severity, String status, String target, String cause,
                       int occurrences, String opened, String lastSeen) {
    }

    public record IncidentList(List<Filter> statuses, List<IncidentRow> incidents, String nextPage) {
    }

    public record NotificationRow(long id, String action, String status, int attempts, String lastError, String created,
                           String delivered) {
    }

    public record IncidentDetail(String id, String title, String severity, String status, String target, String cause,
                          String cycleId, String latestCycleId, int occurrences, String opened, String acknowledged,
                          String resolved, String runbookUrl, String reportHtml, List<NotificationRow> notifications,
                          List<Action> actions) {
    }
}
