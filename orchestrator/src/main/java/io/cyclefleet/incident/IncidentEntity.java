package io.cyclefleet.incident;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** Read model of an incident row; writes go through {@link IncidentStore}. */
@Entity
@Table(name = "incident")
@Immutable
public class IncidentEntity extends PanacheEntityBase {
    @Id
    public UUID id;
    @Column(name = "dedup_key")
    public String dedupKey;
    public String target;
    public String cause;
    public String severity;
    public String status;
    public String title;
    @Column(name = "cycle_id")
    public UUID cycleId;
    @Column(name = "latest_cycle_id")
    public UUID latestCycleId;
    public int occurrences;
    @JdbcTypeCode(SqlTypes.JSON)
    public String details;
    @Column(name = "runbook_url")
    public String runbookUrl;
    @Column(name = "opened_at")
    public OffsetDateTime openedAt;
    @Column(name = "last_seen_at")
    public OffsetDateTime lastSeenAt;
    @Column(name = "acknowledged_at")
    public OffsetDateTime acknowledgedAt;
    @Column(name = "acknowledged_by")
    public String acknowledgedBy;
    @Column(name = "resolved_at")
    public OffsetDateTime resolvedAt;
    @Column(name = "resolved_by")
    public String resolvedBy;
}
