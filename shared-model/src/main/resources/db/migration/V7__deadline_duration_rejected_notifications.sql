-- A rerun's deadline is the spec's duration from the rerun, not the time left over from the first run.
alter table cycle add column deadline_ms bigint;
update cycle set deadline_ms = (extract(epoch from deadline_at - created_at) * 1000)::bigint where deadline_at is not null;

-- A notification the receiver refuses as malformed (HTTP 4xx) is set aside rather than retried forever,
-- and notifications wait only for earlier ones of the same incident.
alter table notification drop constraint notification_status_check;
alter table notification add constraint notification_status_check check (status in ('pending', 'delivered', 'rejected'));
create index notification_pending_incident on notification (incident_id, id) where status = 'pending';
