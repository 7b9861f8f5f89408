-- Every update of a task row writes a new entry into each index whose predicate the new version meets (a status
-- change can never be a HOT update: status is in the predicates of the partial indexes). task_running_worker served
-- no statement: heartbeats, results and fences take running tasks by id, and no sweep looks them up by worker alone.
-- (task_cycle_status stays: without it the advancer's per-cycle checks of what is left to decide scan every task.)
drop index task_running_worker;
