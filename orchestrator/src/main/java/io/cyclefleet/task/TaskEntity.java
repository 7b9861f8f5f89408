package io.cyclefleet.task;

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

/** Read model of a task row. Writes go through TaskStore's fenced SQL. */
@Entity
@Table(name = "task")
@Immutable
public class TaskEntity extends PanacheEntityBase {
    @Id
    public Long id;
    @Column(name = "cycle_id")
    public UUID cycleId;
    @Column(name = "step_key")
    public String stepKey;
    public String kind;
    public String queue;
    public String priority;
    public String status;
    public int attempt;
    @Column(name = "max_attempts")
    public int maxAttempts;
    /** Times an attempt lost its worker's lease (a fault) and was redelivered without spending an attempt. */
    @Column(name = "lease_losses")
    public int leaseLosses;
    @Column(name = "worker_id")
    public String workerId;
    @JdbcTypeCode(SqlTypes.JSON)
    public String result;
    @JdbcTypeCode(SqlTypes.JSON)
    public String metrics;
    public Float score;
    public String error;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "queued_at")
    public OffsetDateTime queuedAt;
    @Column(name = "started_at")
    public OffsetDateTime startedAt;
    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;
    @Column(name = "next_run_at")
    public OffsetDateTime nextRunAt;
    @Column(name = "lease_expires_at")
    public OffsetDateTime leaseExpiresAt;
    public String branch;
    public String risk;
    @Column(name = "needs_approval")
    public boolean needsApproval;
    @Column(name = "approved_by")
    public String approvedBy;
    @Column(name = "approved_at")
    public OffsetDateTime approvedAt;
}
