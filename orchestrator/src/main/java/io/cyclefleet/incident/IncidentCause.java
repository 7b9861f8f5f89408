package io.cyclefleet.incident;

/** Why an incident opened; with the target it forms the dedup key. Severities are PagerDuty's. */
public enum IncidentCause {
    ROLLBACK_FAILED("rollback-failed", "critical", "Rollback failed: the target may still run the bad version"),
    DEPLOYMENT_ROLLED_BACK("deployment-rolled-back", "warning", "Deployment rolled back after a failed verification"),
    DEADLINE_EXCEEDED("deadline-exceeded", "error", "Cycle exceeded its deadline");

    private final String wireName;
    private final String severity;
    private final String title;

    IncidentCause(String wireName, String severity, String title) {
        this.wireName = wireName;
        this.severity = severity;
        this.title = title;
    }

    public String wireName() {
        return wireName;
    }

    public String severity() {
        return severity;
    }

    public String title() {
        return title;
    }
}
