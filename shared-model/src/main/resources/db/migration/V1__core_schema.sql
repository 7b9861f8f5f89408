-- cyclefleet core schema. PostgreSQL is the system of record: every cycle, task, attempt, result and
-- transition lives here; Redis only carries (task id, attempt) pointers to rows of this schema.

create table cycle (
    id               uuid primary key,
    name             text        not null,
    status           text        not null,
    spec             jsonb       not null,
    idempotency_key  text        unique,
    error            text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    finished_at      timestamptz
);
create index cycle_status_created on cycle (status, created_at, id);
create index cycle_created on cycle (created_at, id);

create table task (
    id               bigint generated always as identity primary key,
    cycle_id         uuid        not null references cycle (id) on delete cascade,
    step_key         text        not null,
    kind             text        not null,
    queue            text        not null,
    priority         text        not null,
    params           jsonb       not null default '{}'::jsonb,
    status           text        not null,
    -- attempt is the fencing token: every redelivery increments it, every write is guarded by it.
    attempt          int         not null default 1,
    max_attempts     int         not null,
    backoff_ms       bigint      not null,
    max_backoff_ms   bigint      not null,
    timeout_ms       bigint      not null,
    worker_id        text,
    lease_expires_at timestamptz,
    next_run_at      timestamptz,
    -- set once the (id, attempt) message is on Redis; null means "must be (re)sent"
    dispatched_at    timestamptz,
    result           jsonb,
    error            text,
    created_at       timestamptz not null default now(),
    queued_at        timestamptz,
    started_at       timestamptz,
    finished_at      timestamptz,
    unique (cycle_id, step_key)
);
create index task_cycle_status on task (cycle_id, status);
create index task_undispatched on task (queued_at) where status = 'QUEUED' and dispatched_at is null;
create index task_retry_due on task (next_run_at) where status = 'RETRY_WAIT';
create index task_running_lease on task (lease_expires_at) where status = 'RUNNING';
create index task_running_worker on task (worker_id) where status = 'RUNNING';
create index task_active_queue on task (queue) where status in ('QUEUED', 'RUNNING');

create table task_dependency (
    task_id     bigint not null references task (id) on delete cascade,
    depends_on  bigint not null references task (id) on delete cascade,
    primary key (task_id, depends_on)
);
create index task_dependency_upstream on task_dependency (depends_on);

-- The timeline. Task and cycle transitions are appended by the triggers below, so the log cannot
-- disagree with the state; rejections (stale deliveries and results) are appended by the code.
create table cycle_event (
    id           bigint generated always as identity primary key,
    cycle_id     uuid        not null references cycle (id) on delete cascade,
    task_id      bigint,
    at           timestamptz not null default clock_timestamp(),
    type         text        not null,
    from_status  text,
    to_status    text,
    attempt      int,
    worker_id    text,
    detail       text
);
create index cycle_event_cycle on cycle_event (cycle_id, id);

create function task_inserted_event() returns trigger language plpgsql as $$
begin
    insert into cycle_event (cycle_id, task_id, type, to_status, attempt)
    select n.cycle_id, n.id, 'task.' || lower(n.status), n.status, n.attempt from new_rows n;
    return null;
end $$;

create function task_status_event() returns trigger language plpgsql as $$
begin
    insert into cycle_event (cycle_id, task_id, type, from_status, to_status, attempt, worker_id, detail)
    select n.cycle_id, n.id, 'task.' || lower(n.status), o.status, n.status, n.attempt,
           coalesce(n.worker_id, o.worker_id),
           case when n.status in ('FAILED', 'RETRY_WAIT', 'SKIPPED', 'CANCELLED', 'QUEUED') then n.error end
    from new_rows n join old_rows o on o.id = n.id
    where o.status is distinct from n.status or o.attempt is distinct from n.attempt;
    return null;
end $$;

create trigger task_inserted after insert on task
    referencing new table as new_rows for each statement execute function task_inserted_event();
create trigger task_status_changed after update on task
    referencing old table as old_rows new table as new_rows for each statement execute function task_status_event();

create function cycle_status_event() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into cycle_event (cycle_id, type, to_status) values (new.id, 'cycle.' || lower(new.status), new.status);
    elsif old.status is distinct from new.status then
        insert into cycle_event (cycle_id, type, from_status, to_status, detail)
        values (new.id, 'cycle.' || lower(new.status), old.status, new.status, new.error);
    end if;
    return null;
end $$;

create trigger cycle_status_changed after insert or update on cycle
    for each row execute function cycle_status_event();

create table worker (
    id              text primary key,
    hostname        text        not null,
    pid             bigint      not null,
    queues          text        not null,
    concurrency     int         not null,
    status          text        not null,
    in_flight       int         not null default 0,
    started_at      timestamptz not null default now(),
    last_seen_at    timestamptz not null default now(),
    stopped_at      timestamptz
);
create index worker_last_seen on worker (last_seen_at);
