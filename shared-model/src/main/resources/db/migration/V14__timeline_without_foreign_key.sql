-- The timeline's foreign key to cycle cost PostgreSQL about a fifth of its CPU per task: every event row (four per
-- task: queued, running, finished, and its creation) ran a referential check that looked the cycle up and locked it
-- FOR KEY SHARE. Its rows are written by the triggers on task and cycle, whose own rows reference the cycle, and by
-- code that names a cycle it has just read; retention deletes a cycle's events with it (no cascade any more).
alter table cycle_event drop constraint cycle_event_cycle_id_fkey;
