-- Issue 5: the fleet's gauges and dashboard read recent finishes.
-- Throughput per queue counts tasks finished in the last minutes. BRIN, not btree: finished_at grows with
-- the table's insertion order, and a BRIN index costs next to nothing on the hot path's updates.
create index task_finished_brin on task using brin (finished_at);
-- Deployment success over the cycles finished in the last 24 h.
create index cycle_finished on cycle (finished_at) where finished_at is not null;
