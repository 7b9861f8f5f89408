-- Named numeric metrics and a 1-10 score per task result: what quality gates evaluate.
alter table task add column metrics jsonb;
alter table task add column score real check (score is null or score between 1 and 10);
