-- The routine life of a task (created, queued, running, succeeded, at its first attempt) is no longer written to
-- cycle_event: the task row holds it already (created_at, queued_at, started_at, finished_at, worker_id), and those
-- four rows per task were most of the timeline's cost. cycle_timeline shows them, built from the row, next to the
-- stored events. A task's first transition off that path (a failure, retry, redelivery, hand-back, cancel, skip, gate
-- verdict, a new attempt) sets history_stored: the trigger then writes the routine events it had so far from the old
-- row, and every transition after it is stored as before, so nothing an attempt did is lost when the next overwrites
-- the row's timestamps.
--
-- The statement-level trigger with transition tables is gone too: it made every update of task (claims, results,
-- heartbeats, dispatch marks) build tuplestores of its old and new rows. The row triggers below run only for rows whose
-- WHEN holds, which the routine path never meets.

-- Rows written before this version have their whole history stored; new rows start on the routine path.
alter table task add column history_stored boolean not null default true;
alter table task alter column history_stored set default false;

drop trigger task_inserted on task;
drop trigger task_status_changed on task;
drop function task_inserted_event();
drop function task_status_event();

-- The routine events a task on the routine path has had, from its row: its creation (QUEUED when it was queued at
-- once), its promotion, its start and its success; a move with no time on the row (a row written by hand) is left
-- out. n numbers them, for cycle_timeline's ids.
create function task_routine_history(t task)
    returns table (n int, at timestamptz, type text, from_status text, to_status text, worker_id text)
    language sql immutable as $$
    select v.n, v.at, 'task.' || lower(v.to_status), v.from_status, v.to_status, v.worker_id
    from (values
        (0, t.created_at, null, case when t.queued_at = t.created_at then 'QUEUED' else 'PENDING' end, null::text, true),
        (1, t.queued_at, 'PENDING', 'QUEUED', null, t.queued_at is distinct from t.created_at and t.status <> 'PENDING'),
        (2, t.started_at, 'QUEUED', 'RUNNING', t.worker_id, t.status in ('RUNNING', 'SUCCEEDED')),
        (3, t.finished_at, 'RUNNING', 'SUCCEEDED', t.worker_id, t.status = 'SUCCEEDED')
    ) as v(n, at, from_status, to_status, worker_id, happened)
    where v.happened and v.at is not null
$$;

create function task_leaves_routine() returns trigger language plpgsql as $$
begin
    new.history_stored := true;
    return new;
end $$;

create trigger task_inserted_off_routine before insert on task for each row
    when (new.status not in ('PENDING', 'QUEUED') or new.attempt <> 1)
    execute function task_leaves_routine();

create trigger task_leaves_routine before update on task for each row
    when (not old.history_stored
          and (old.status is distinct from new.status or old.attempt is distinct from new.attempt)
          and not (old.attempt = new.attempt
                   and (old.status, new.status) in (('PENDING', 'QUEUED'), ('QUEUED', 'RUNNING'), ('RUNNING', 'SUCCEEDED'))))
    execute function task_leaves_routine();

create function task_history_event() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into cycle_event (cycle_id, task_id, type, to_status, attempt)
        values (new.cycle_id, new.id, 'task.' || lower(new.status), new.status, new.attempt);
        return null;
    end if;
    if not old.history_stored then
        insert into cycle_event (cycle_id, task_id, at, type, from_status, to_status, attempt, worker_id)
        select old.cycle_id, old.id, r.at, r.type, r.from_status, r.to_status, old.attempt, r.worker_id
        from task_routine_history(old) r order by r.n;
    end if;
    insert into cycle_event (cycle_id, task_id, type, from_status, to_status, attempt, worker_id, detail)
    values (new.cycle_id, new.id, 'task.' || lower(new.status), old.status, new.status, new.attempt,
            case when new.status in ('QUEUED', 'PENDING') then null else coalesce(new.worker_id, old.worker_id) end,
            case when new.status = 'QUEUED' and old.status = 'RETRY_WAIT' then 'retry after: ' || new.error
                 when new.status in ('FAILED', 'RETRY_WAIT', 'SKIPPED', 'CANCELLED', 'QUEUED') then new.error end);
    return null;
end $$;

create trigger task_history_inserted after insert on task for each row
    when (new.history_stored)
    execute function task_history_event();

create trigger task_history_changed after update on task for each row
    when (new.history_stored and (old.status is distinct from new.status or old.attempt is distinct from new.attempt))
    execute function task_history_event();

-- A cycle's whole timeline: the stored events, and the routine ones of its tasks still on the routine path, with ids
-- below zero (-(4 × task id + n)) that are stable and never collide with stored ones. Read it ordered by (at, id).
create view cycle_timeline as
select e.id, e.cycle_id, e.task_id, e.at, e.type, e.from_status, e.to_status, e.attempt, e.worker_id, e.detail
from cycle_event e
union all
select -(4 * t.id + r.n), t.cycle_id, t.id, r.at, r.type, r.from_status, r.to_status, t.attempt, r.worker_id, null
from task t cross join lateral task_routine_history(t) r
where not t.history_stored;
