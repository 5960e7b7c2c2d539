-- pgbench script: the SQL the service runs for GET /api/tickets/stats
-- (crates/persistence/src/repo.rs: stats_in, with the filter of filter.rs), statement for statement, with diesel's
-- quoting. Values the service binds as parameters are pgbench variables (sent as
-- parameters with -M prepared, as diesel-async does); values it computes client-side
-- (ids, times, the event payload) are computed here by SQL or are literals of the same size.
-- Row-level security: bench/run.sh connects pgbench as ticket_app (PGOPTIONS role, once per
-- connection, as the service's pool SETs ROLE once per connection), and every transaction
-- names its organization (:org, the big organization of bench.params) with set_config in
-- the pipeline of its first statement, as repo.rs `set_org`.
-- Variables from bench/run.sh (-D): org, now ('now': the transaction time, as the service binds its clock).
BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY;
\startpipeline
SELECT set_config('app.org_id', :org, true);
SET LOCAL work_mem = '64MB';
SELECT status, severity, provider_id, camera_id, count(*) AS n FROM tickets WHERE org_id = :org GROUP BY GROUPING SETS ((status), (severity), (provider_id), (camera_id));
SELECT count(*) FILTER (WHERE first_responded_at <= first_response_due_at) AS fr_met, count(*) FILTER (WHERE COALESCE(first_responded_at > first_response_due_at, first_response_due_at < :now)) AS fr_breached, count(*) FILTER (WHERE first_responded_at IS NULL AND first_response_due_at >= :now) AS fr_pending, avg(date_part('epoch', first_responded_at - created_at)) AS fr_mean, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY date_part('epoch', first_responded_at - created_at)) AS fr_pct, count(*) FILTER (WHERE resolved_at <= resolution_due_at) AS res_met, count(*) FILTER (WHERE COALESCE(resolved_at > resolution_due_at, resolution_due_at < :now)) AS res_breached, count(*) FILTER (WHERE resolved_at IS NULL AND resolution_due_at >= :now) AS res_pending, avg(date_part('epoch', resolved_at - created_at)) AS res_mean, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY date_part('epoch', resolved_at - created_at)) AS res_pct FROM tickets WHERE org_id = :org;
\endpipeline
COMMIT;
