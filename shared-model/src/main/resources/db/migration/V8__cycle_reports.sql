-- Issue 4: the cycle report, written by the `report` step in three formats and served by
-- GET /api/v1/cycles/{id}/report. One row per cycle and format: the latest report (a rerun of the step
-- replaces it, upserted in one statement). Bounded (invariant 5): the worker truncates each content to
-- 1 MiB with a note, and the check refuses anything larger.
create table cycle_report (
    cycle_id    uuid        not null references cycle (id) on delete cascade,
    task_id     bigint      not null references task (id) on delete cascade,
    format      text        not null check (format in ('markdown', 'json', 'csv')),
    content     text        not null check (octet_length(content) <= 1048576),
    created_at  timestamptz not null default now(),
    primary key (cycle_id, format)
);
-- deleting a task (with its cycle) looks its reports up by task
create index cycle_report_task on cycle_report (task_id);
