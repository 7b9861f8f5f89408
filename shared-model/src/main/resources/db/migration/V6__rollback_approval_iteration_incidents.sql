-- Issue #3: the cycle semantics on top of the core — rollback branch, approvals, iteration, deadlines,
-- incidents and their notification outbox.

alter table cycle
    add column target               text,
    add column parent_id            uuid references cycle (id),
    add column iteration            int not null default 1,
    add column deadline_at          timestamptz,
    -- the rollback branch: started when a trigger step failed (at that step's end), finished when its last step ended
    add column failure_detected_at  timestamptz,
    add column rollback_cause       text,
    add column rollback_finished_at timestamptz,
    -- failure detected → rollback verified, only when the rollback succeeded
    add column mttr_ms              bigint,
    -- set when the cycle ended below its iterate.untilScore; the reconciler starts the child when due
    add column next_iteration_at    timestamptz;
-- at most one next iteration per cycle, whatever races the reconciler has
create unique index cycle_one_child on cycle (parent_id) where parent_id is not null;
create index cycle_iteration_due on cycle (next_iteration_at) where next_iteration_at is not null;
create index cycle_deadline_due on cycle (deadline_at) where deadline_at is not null and finished_at is null;
create index cycle_target on cycle (target, created_at);

alter table task
    -- 'rollback' tasks wait until the cycle's rollback starts, and are skipped when it never does
    add column branch            text    not null default 'main' check (branch in ('main', 'rollback')),
    -- its failure starts the rollback branch
    add column triggers_rollback boolean not null default false,
    add column risk              text    not null default 'low' check (risk in ('low', 'medium', 'high')),
    -- riskier than the cycle's maxAutoRisk: not queued until an operator approves
    add column needs_approval    boolean not null default false,
    add column approved_at       timestamptz,
    add column approved_by       text;

-- One incident per failing target and cause while it is not resolved; repeats count occurrences.
create table incident (
    id               uuid primary key,
    dedup_key        text        not null,
    target           text        not null,
    cause            text        not null,
    severity         text        not null check (severity in ('critical', 'error', 'warning', 'info')),
    status           text        not null check (status in ('open', 'acknowledged', 'resolved')),
    title            text        not null,
    cycle_id         uuid        not null references cycle (id),
    latest_cycle_id  uuid        not null references cycle (id),
    occurrences      int         not null default 1,
    -- what on-call needs, captured when the incident opened or last repeated: failing tasks and their
    -- errors, the conditions that tripped, the rollback's outcome
    details          jsonb       not null,
    runbook_url      text,
    opened_at        timestamptz not null default now(),
    last_seen_at     timestamptz not null default now(),
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    resolved_at      timestamptz,
    resolved_by      text
);
create unique index incident_active_dedup on incident (dedup_key) where status <> 'resolved';
create index incident_status_opened on incident (status, opened_at, id);

create table incident_event (
    id           bigint generated always as identity primary key,
    incident_id  uuid        not null references incident (id) on delete cascade,
    at           timestamptz not null default clock_timestamp(),
    type         text        not null,
    actor        text        not null,
    cycle_id     uuid,
    detail       text
);
create index incident_event_incident on incident_event (incident_id, id);

-- Outbox: written in the transaction that changes the incident, delivered (in id order) by the
-- notifier, kept until delivered so a receiver that is down for a while misses nothing.
create table notification (
    id               bigint generated always as identity primary key,
    incident_id      uuid        not null references incident (id) on delete cascade,
    event_action     text        not null check (event_action in ('trigger', 'acknowledge', 'resolve')),
    body             jsonb       not null,
    status           text        not null default 'pending' check (status in ('pending', 'delivered')),
    attempts         int         not null default 0,
    next_attempt_at  timestamptz not null default now(),
    last_error       text,
    created_at       timestamptz not null default now(),
    delivered_at     timestamptz
);
create index notification_pending on notification (id) where status = 'pending';
