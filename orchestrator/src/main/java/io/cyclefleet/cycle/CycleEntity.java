package io.cyclefleet.cycle;

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

/** Read model of a cycle row. Writes go through CycleStore's set-based SQL. */
@Entity
@Table(name = "cycle")
@Immutable
public class CycleEntity extends PanacheEntityBase {
    @Id
    public UUID id;
    public String name;
    public String status;
    @JdbcTypeCode(SqlTypes.JSON)
    public String spec;
    @Column(name = "idempotency_key")
    public String idempotencyKey;
    public String error;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;
    public String target;
    @Column(name = "parent_id")
    public UUID parentId;
    public int iteration;
    @Column(name = "deadline_at")
    public OffsetDateTime deadlineAt;
    @Column(name = "failure_detected_at")
    public OffsetDateTime failureDetectedAt;
    @Column(name = "rollback_cause")
    public String rollbackCause;
    @Column(name = "rollback_started_by")
    public String rollbackStartedBy;
    @Column(name = "rollback_deadline_at")
    public OffsetDateTime rollbackDeadlineAt;
    @Column(name = "rollback_finished_at")
    public OffsetDateTime rollbackFinishedAt;
    @Column(name = "mttr_ms")
    public Long mttrMs;
    @Column(name = "next_iteration_at")
    public OffsetDateTime nextIterationAt;
}
