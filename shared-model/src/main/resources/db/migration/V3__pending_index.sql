-- The reconciler looks for PENDING steps whose upstream all finished (a lost completion notice).
create index task_pending on task (cycle_id) where status = 'PENDING';
