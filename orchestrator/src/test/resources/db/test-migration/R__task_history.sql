-- Test only (flyway location db/test-migration under the %test profile): every change of a task's status or attempt,
-- and every write at all to a finished row, kept apart from the product's timeline so that "exactly once" is checked
-- on what happened to the rows, whatever the product records (support/TaskHistory).
create table if not exists test_task_history (
    seq             bigint generated always as identity primary key,
    task_id         bigint      not null,
    cycle_id        uuid        not null,
    old_status      text        not null,
    new_status      text        not null,
    old_attempt     int         not null,
    new_attempt     int         not null,
    old_worker      text,
    new_worker      text,
    result_changed  boolean     not null,
    at              timestamptz not null default clock_timestamp()
);

create or replace function test_task_history() returns trigger language plpgsql as $$
begin
    if old.status is distinct from new.status or old.attempt is distinct from new.attempt
       or old.status in ('SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED') then
        insert into test_task_history (task_id, cycle_id, old_status, new_status, old_attempt, new_attempt, old_worker, new_worker,
                                       result_changed)
        values (new.id, new.cycle_id, old.status, new.status, old.attempt, new.attempt, old.worker_id, new.worker_id,
                old.result is distinct from new.result or old.finished_at is distinct from new.finished_at);
    end if;
    return null;
end $$;

drop trigger if exists test_task_history on task;
create trigger test_task_history after update on task for each row execute function test_task_history();
