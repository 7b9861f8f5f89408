package io.cyclefleet.worker;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import org.hibernate.annotations.Immutable;

/** A worker's heartbeat row, written by the worker itself. */
@Entity
@Table(name = "worker")
@Immutable
public class WorkerEntity extends PanacheEntityBase {
    @Id
    public String id;
    public String hostname;
    public long pid;
    public String queues;
    public int concurrency;
    public String status;
    @Column(name = "in_flight")
    public int inFlight;
    @Column(name = "started_at")
    public OffsetDateTime startedAt;
    @Column(name = "last_seen_at")
    public OffsetDateTime lastSeenAt;
    @Column(name = "stopped_at")
    public OffsetDateTime stoppedAt;
}
