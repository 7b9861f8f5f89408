-- Issue 10: deployment safety under faults (docs/reliability.md has the fault matrix).

-- Faults are not verdicts. A lease lost to an infrastructure fault (the worker killed, paused or partitioned,
-- Postgres unreachable from it) redelivers the task at the next attempt without spending one of its attempts
-- (max_attempts grows with attempt, as for a drain). Such losses are counted and bounded per task, so a task
-- that kills every worker that runs it (poison) still ends.
alter table task
    add column lease_losses     int not null default 0,
    add column max_lease_losses int not null default 5,
    -- the stream entry id the message of this attempt was last put on Redis as: the stale-dispatch sweep
    -- re-sends a task only when that entry is really gone, not while it waits in a long backlog
    add column dispatch_entry   text,
    -- the spec's maxAttempts: a rerun gets this budget afresh, whatever faults grew max_attempts by. Nullable:
    -- an orchestrator of the previous version, still running during a rolling upgrade, inserts tasks without it
    -- (readers fall back to max_attempts)
    add column attempt_budget   int;
update task set attempt_budget = max_attempts;

-- What a deployment or rollback attempt is about to do, recorded by its worker (fenced by the attempt) before
-- the adapter changes anything. A rollback reads the version to restore from here, never from the deploy's
-- result, which a fault may have lost. The id is the fencing token handed to adapters: it only grows, so a
-- target can refuse an action older than the newest it has applied.
create table deployment_intent (
    id               bigint generated always as identity primary key,
    task_id          bigint      not null references task (id) on delete cascade,
    attempt          int         not null,
    cycle_id         uuid        not null references cycle (id) on delete cascade,
    step_key         text        not null,
    action           text        not null check (action in ('deploy', 'rollback')),
    adapter          text        not null,
    worker_id        text        not null,
    -- what a rollback restores: the version that ran before the step's first attempt acted (null: none or unknown)
    previous_version text,
    -- what this attempt observed running before it acted, and the adapter state it observed (image, revision, ...)
    observed_version text,
    observed         jsonb       not null default '{}'::jsonb,
    to_version       text        not null,
    recorded_at      timestamptz not null default now(),
    -- after this time the attempt can no longer act: the adapter's timeout, enforced on its processes even
    -- when the worker that started them is gone
    act_until        timestamptz not null,
    -- the attempt's handler returned (its processes stopped); written with the attempt's outcome
    ended_at         timestamptz,
    unique (task_id, attempt)
);
create index deployment_intent_step on deployment_intent (cycle_id, step_key, id);
create index deployment_intent_open on deployment_intent (adapter) where ended_at is null;

-- Every path out of a deployed cycle rolls back: who started the rollback decides how the cycle ends (an
-- operator's cancel ends it without a page), and a rollback has a deadline of its own.
alter table cycle
    add column rollback_started_by  text check (rollback_started_by in ('trigger', 'failure', 'deadline', 'operator')),
    add column rollback_deadline_ms bigint,
    -- set when the rollback starts (and when a retry reruns it): past it, the rollback failed
    add column rollback_deadline_at timestamptz,
    -- open a cycle-failed incident when the cycle fails without a rollback, even if nothing was deployed
    add column incident_on_failure  boolean not null default false,
    -- what the cycle changes, when a step of it changes its target (a deployment or rollback kind): 'target:<target>'
    -- and 'adapter:<name>' for each deployment adapter its steps name; the cycle holds all their leases
    add column change_resources     text[],
    add column on_target_busy       text    not null default 'wait' check (on_target_busy in ('wait', 'reject'));

create index cycle_rollback_due on cycle (rollback_deadline_at) where rollback_deadline_at is not null and finished_at is null;

-- One change at a time per target: the cycle that holds a resource's lease (a target, a deployment adapter) is the
-- only one that may change it. Taken when such a cycle is written, released in the transaction that ends it; cycles
-- that find one taken wait in WAITING_FOR_TARGET and get them in submission order.
create table target_lease (
    resource    text primary key,
    cycle_id    uuid not null references cycle (id) on delete cascade,
    acquired_at timestamptz not null default now()
);
create index target_lease_cycle on target_lease (cycle_id);
create index cycle_waiting_for_target on cycle (created_at, id) where status = 'WAITING_FOR_TARGET';

-- The reconciler's own progress, shared by the replicas: after a gap (Postgres down, every orchestrator down)
-- leases are not judged until the workers have had a chance to heartbeat again.
create table reconciler_state (
    id                  int primary key check (id = 1),
    -- when the last fast pass ended
    last_pass_at        timestamptz not null,
    leases_judged_after timestamptz not null
);
