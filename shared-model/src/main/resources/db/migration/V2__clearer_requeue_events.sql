-- A task queued again for its next attempt belongs to no worker yet; say why it was queued again.
create or replace function task_status_event() returns trigger language plpgsql as $$
begin
    insert into cycle_event (cycle_id, task_id, type, from_status, to_status, attempt, worker_id, detail)
    select n.cycle_id, n.id, 'task.' || lower(n.status), o.status, n.status, n.attempt,
           case when n.status in ('QUEUED', 'PENDING') then null else coalesce(n.worker_id, o.worker_id) end,
           case when n.status = 'QUEUED' and o.status = 'RETRY_WAIT' then 'retry after: ' || n.error
                when n.status in ('FAILED', 'RETRY_WAIT', 'SKIPPED', 'CANCELLED', 'QUEUED') then n.error end
    from new_rows n join old_rows o on o.id = n.id
    where o.status is distinct from n.status or o.attempt is distinct from n.attempt;
    return null;
end $$;
