-- Retention deletes finished cycles an incident does not name: the checks, and the foreign-key checks of each delete,
-- look incidents up by cycle.
create index incident_cycle on incident (cycle_id);
create index incident_latest_cycle on incident (latest_cycle_id);
