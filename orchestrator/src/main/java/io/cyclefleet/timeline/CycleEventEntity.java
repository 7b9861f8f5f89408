package io.cyclefleet.timeline;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.hibernate.annotations.Immutable;

/**
 * One line of a cycle's timeline: a stored event (appended by triggers and by fenced-write rejections) or a routine one
 * built from its task's row (id below zero), through the cycle_timeline view (V15).
 */
@Entity
@Table(name = "cycle_timeline")
@Immutable
public class CycleEventEntity extends PanacheEntityBase {
    @Id
    public Long id;
    @Column(name = "cycle_id")
    public UUID cycleId;
    @Column(name = "task_id")
    public Long taskId;
    public OffsetDateTime at;
    public String type;
    @Column(name = "from_status")
    public String fromStatus;
    @Column(name = "to_status")
    public String toStatus;
    public Integer attempt;
    @Column(name = "worker_id")
    public String workerId;
    public String detail;
}
