-- Every quality-gate evaluation with its inputs and verdict (issue #3).
create table gate_evaluation (
    id            bigint generated always as identity primary key,
    cycle_id      uuid        not null references cycle (id) on delete cascade,
    task_id       bigint      not null references task (id) on delete cascade,
    gate_key      text        not null,
    verdict       text        not null check (verdict in ('pass', 'fail')),
    conditions    jsonb       not null,
    evaluated_at  timestamptz not null default now()
);
create index gate_evaluation_cycle on gate_evaluation (cycle_id, id);
