package io.cyclefleet.incident;

/** Why an incident opened; with the target it forms the dedup key. Severities are PagerDuty's. */
public enum IncidentCause {
    ROLLBACK_FAILED("rollback-failed", "critical", "Rollback failed: the target may still run the bad version"),
    DEPLOYMENT_ROLLED_BACK("deployment-rolled-back", "warning", "Deployment rolled back after a failure"),
    DEADLINE_EXCEEDED("deadline-exceeded", "error", "Cycle exceeded its deadline"),
    /** A cycle that started a deployment failed and has no rollback branch to undo it. */
    DEPLOYMENT_NOT_ROLLED_BACK("deployment-not-rolled-back", "critical", "Cycle failed after a deployment and has no rollback: the target may run the new version"),
    /** A cycle failed before changing anything, and its spec asked for an incident (incidentOnFailure). */
    CYCLE_FAILED("cycle-failed", "error", "Cycle failed");

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
