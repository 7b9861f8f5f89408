package io.cyclefleet.incident;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.hibernate.annotations.Immutable;

@Entity
@Table(name = "incident_event")
@Immutable
public class IncidentEventEntity extends PanacheEntityBase {
    @Id
    public Long id;
    @Column(name = "incident_id")
    public UUID incidentId;
    public OffsetDateTime at;
    public String type;
    public String actor;
    @Column(name = "cycle_id")
    public UUID cycleId;
    public String detail;
}
