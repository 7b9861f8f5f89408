package io.cyclefleet.incident;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** API representations of incidents. */
public final class IncidentViews {

    private IncidentViews() {
    }

    public record Summary(UUID id, String title, String severity, String status, String target, String cause,
                          int occurrences, UUID latestCycleId, OffsetDateTime openedAt, OffsetDateTime lastSeenAt) {
    }

    public record Incident(UUID id, String dedupKey, String title, String severity, String status, String target, String cause,
                           int occurrences, UUID cycleId, UUID latestCycleId, JsonNode details, String runbookUrl,
                           OffsetDateTime openedAt, OffsetDateTime lastSeenAt, OffsetDateTime acknowledgedAt,
                           String acknowledgedBy, OffsetDateTime resolvedAt, String resolvedBy, List<Event> events,
                           List<Notification> notifications) {
    }

    public record Event(OffsetDateTime at, String type, String actor, UUID cycleId, String detail) {
    }

    public record Notification(long id, String action, String status, int attempts, String lastError,
                               OffsetDateTime createdAt, OffsetDateTime deliveredAt) {
    }
}
