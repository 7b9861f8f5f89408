-- The timeline trigger joined its transition tables with the plan PL/pgSQL cached at the session's first update,
-- usually of a single row: a nested loop, quadratic in the batch (5 s for the 5,000 leaves of a fan-out queued
-- together). Large batches now go through EXECUTE, planned with their real size (a hash join); small ones keep the
-- cached plan, which costs nothing to plan and little to run.
create or replace function task_status_event() returns trigger language plpgsql as $$
begin
    if (select count(*) from new_rows) <= 64 then
        insert into cycle_event (cycle_id, task_id, type, from_status, to_status, attempt, worker_id, detail)
        select n.cycle_id, n.id, 'task.' || lower(n.status), o.status, n.status, n.attempt,
               case when n.status in ('QUEUED', 'PENDING') then null else coalesce(n.worker_id, o.worker_id) end,
               case when n.status = 'QUEUED' and o.status = 'RETRY_WAIT' then 'retry after: ' || n.error
                    when n.status in ('FAILED', 'RETRY_WAIT', 'SKIPPED', 'CANCELLED', 'QUEUED') then n.error end
        from new_rows n join old_rows o on o.id = n.id
        where o.status is distinct from n.status or o.attempt is distinct from n.attempt;
    else
        execute $q$
        insert into cycle_event (cycle_id, task_id, type, from_status, to_status, attempt, worker_id, detail)
        select n.cycle_id, n.id, 'task.' || lower(n.status), o.status, n.status, n.attempt,
               case when n.status in ('QUEUED', 'PENDING') then null else coalesce(n.worker_id, o.worker_id) end,
               case when n.status = 'QUEUED' and o.status = 'RETRY_WAIT' then 'retry after: ' || n.error
                    when n.status in ('FAILED', 'RETRY_WAIT', 'SKIPPED', 'CANCELLED', 'QUEUED') then n.error end
        from new_rows n join old_rows o on o.id = n.id
        where o.status is distinct from n.status or o.attempt is distinct from n.attempt
        $q$;
    end if;
    return null;
end $$;
