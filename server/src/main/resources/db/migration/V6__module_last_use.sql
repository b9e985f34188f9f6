-- When a deploy last named each module: unused modules (no version of a live function names them)
-- are removed once they have not been named for a while (ModuleCollector).
alter table modules add column last_used_at timestamptz not null default now();
