-- Plans of the list and stats queries on a loaded bench database, as Markdown:
--   psql -X -q -At -v ON_ERROR_STOP=1 -f bench/explain.sql tickets_bench > plans.md
-- (bench/run.sh runs it after the measurements of a full run.)
--
-- List: for each combination of bench.list_combos, page 1 and next page, the service's
-- statement is PREPAREd with the service's parameter types and EXECUTEd (EXPLAIN ANALYZE)
-- once per sample of bench.list_queries, the way a pooled connection of the service sees
-- it (so PostgreSQL's choice between custom and generic plans is the service's). The
-- table gives the execution times over the samples; the plan shown is the slowest
-- sample's. Stats: the two statements of stats_in, over everything, the busiest camera
-- and the busiest provider.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- As the service's requests: the request role under row-level security, for the big
-- organization (bench.params.org_id, whose tickets the samples are). The setting is for the
-- session here (the service's is per transaction): the plans are the same. As a superuser
-- psql would bypass the policies and show plans without their condition.
SELECT org_id AS bench_org FROM bench.params \gset
SET ROLE ticket_app;
SELECT set_config('app.org_id', :'bench_org', false) AS org_set \gset

-- The service's statement for a combination (repo.rs `list`, `split_for_index`; filter.rs
-- `Conditions`), with the parameters of bench_list below: $1 statuses, $2 severities,
-- $3 camera, $4 provider, $5 assignee, $6/$7 window, $8 now, $9/$10 cursor, $11 limit,
-- $12..$17 the statuses one by one, $18..$22 the severities one by one, $23 the organization
-- (leading every condition list, as filter.rs `filter_clauses`).
CREATE FUNCTION pg_temp.list_sql(c bench.list_combos, deep bool) RETURNS text
LANGUAGE sql AS $$
  WITH b AS (
    SELECT CASE WHEN cardinality(c.statuses) > 1 THEN 'status'
                WHEN cardinality(c.severities) > 1 THEN 'severity' END AS split
  ), p AS (
    SELECT i, concat_ws(' AND ',
      'org_id = $23',
      CASE WHEN c.statuses IS NULL THEN NULL
           WHEN b.split = 'status' THEN 'status = $' || (11 + i)
           WHEN cardinality(c.statuses) = 1 THEN 'status = $12'
           ELSE 'status = ANY($1)' END,
      CASE WHEN c.severities IS NULL THEN NULL
           WHEN b.split = 'severity' THEN 'severity = $' || (17 + i)
           WHEN cardinality(c.severities) = 1 THEN 'severity = $18'
           ELSE 'severity = ANY($2)' END,
      CASE WHEN c.camera THEN 'camera_id = $3' END,
      CASE WHEN c.provider THEN 'provider_id = $4' END,
      CASE WHEN c.assignee THEN 'assignee_id = $5' END,
      CASE WHEN c.win IS NOT NULL THEN 'created_at >= $6 AND created_at <= $7' END,
      CASE WHEN c.breached IS NOT NULL THEN CASE WHEN c.breached THEN '' ELSE 'NOT ' END
        || '(COALESCE(first_responded_at > first_response_due_at, first_response_due_at < $8) '
        || 'OR COALESCE(resolved_at > resolution_due_at, resolution_due_at < $8))' END,
      CASE WHEN deep THEN '(created_at, id) < ($9, $10)' END) AS w
    FROM b CROSS JOIN LATERAL generate_series(1, CASE b.split WHEN 'status' THEN cardinality(c.statuses)
                                                              WHEN 'severity' THEN cardinality(c.severities)
                                                              ELSE 1 END) AS i
  ), q AS (
    SELECT i, 'SELECT * FROM tickets ' || CASE WHEN w = '' THEN '' ELSE 'WHERE ' || w || ' ' END
              || 'ORDER BY created_at DESC, id DESC LIMIT $11' AS sql
    FROM p
  )
  SELECT CASE WHEN count(*) = 1 THEN min(sql)
              ELSE 'SELECT * FROM (' || string_agg('(' || sql || ')', ' UNION ALL ' ORDER BY i)
                   || ') AS merged ORDER BY created_at DESC, id DESC LIMIT $11' END
  FROM q
$$;

CREATE FUNCTION pg_temp.exec_args(q bench.list_queries) RETURNS text LANGUAGE sql AS $$
  SELECT format('(%L, %L, %L, %L, %L, %L, %L, %L, %L, %L, 51, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L)',
                string_to_array(q.st, ','), string_to_array(q.sev, ','), q.cam, q.prov, q.asg,
                q.c_from, q.c_to, now(), q.cur_at, q.cur_id,
                split_part(q.st, ',', 1), split_part(q.st, ',', 2), split_part(q.st, ',', 3),
                split_part(q.st, ',', 4), split_part(q.st, ',', 5), split_part(q.st, ',', 6),
                split_part(q.sev, ',', 1), split_part(q.sev, ',', 2), split_part(q.sev, ',', 3),
                split_part(q.sev, ',', 4), split_part(q.sev, ',', 5),
                (SELECT org_id FROM bench.params))
$$;

CREATE TEMP TABLE list_plans (combo int, name text, deep bool, qs text, n int, median_ms float8,
                              max_ms float8, seq_scan bool, top_sort bool, nodes text, plan text);

DO $$
DECLARE
  c bench.list_combos; q bench.list_queries; worst bench.list_queries;
  d bool; p json; ms float8; arr float8[]; worst_ms float8; line text; plan text;
BEGIN
  FOR c IN SELECT * FROM bench.list_combos ORDER BY no LOOP
    FOREACH d IN ARRAY ARRAY[false, true] LOOP
      EXECUTE format('PREPARE bench_list(text[], text[], bigint, uuid, text, timestamptz, '
                     'timestamptz, timestamptz, timestamptz, uuid, bigint, '
                     'text, text, text, text, text, text, text, text, text, text, text, uuid) AS %s',
                     pg_temp.list_sql(c, d));
      arr := '{}'; worst_ms := -1;
      FOR q IN SELECT * FROM bench.list_queries WHERE combo = c.no ORDER BY j LOOP
        EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE bench_list' || pg_temp.exec_args(q) INTO p;
        ms := (p -> 0 ->> 'Execution Time')::float8;
        arr := arr || ms;
        IF ms > worst_ms THEN worst_ms := ms; worst := q; END IF;
      END LOOP;
      plan := '';
      FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_list' || pg_temp.exec_args(worst) LOOP
        plan := plan || line || E'\n';
      END LOOP;
      INSERT INTO list_plans VALUES (
        c.no, c.name, d,
        concat_ws('&', NULLIF(worst.qs, ''), CASE WHEN d THEN 'cursor=' || worst.cursor END),
        cardinality(arr),
        (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(arr) x),
        (SELECT max(x) FROM unnest(arr) x),
        plan ~ 'Seq Scan on tickets',
        plan ~ '->  (Incremental )?Sort ',
        (SELECT string_agg(DISTINCT m[1], ', ') FROM regexp_matches(plan,
           '((?:Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index Scan|Seq Scan) (?:using \S+ )?on \S+|Bitmap Index Scan on \S+)', 'g') m),
        plan);
      DEALLOCATE bench_list;
    END LOOP;
  END LOOP;
END $$;

\echo '### List: every filter combination, page 1 and next page'
\echo
\echo 'Execution time in PostgreSQL (EXPLAIN ANALYZE) over the samples of each combination; the'
\echo 'index column names the scans of the slowest sample''s plan. `Sort` = the rows are sorted'
\echo 'after the scan (the index does not give the order); `SEQ SCAN` = a sequential scan of'
\echo '`tickets`.'
\echo
\echo '| # | combination | page | samples | median ms | max ms | scans of the slowest | flags |'
\echo '|---:|---|---|---:|---:|---:|---|---|'
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s |', combo, name,
              CASE WHEN deep THEN 'next' ELSE '1' END, n, round(median_ms::numeric, 2),
              round(max_ms::numeric, 2), nodes,
              concat_ws(', ', CASE WHEN seq_scan THEN '**SEQ SCAN**' END,
                        CASE WHEN top_sort THEN 'Sort' END))
FROM list_plans ORDER BY combo, deep;
\echo
\echo '<details><summary>Plans (slowest sample of each)</summary>'
\echo
SELECT format(E'#### %s, %s\n\n`GET /api/tickets?%s`\n\n```\n%s```\n', name,
              CASE WHEN deep THEN 'next page' ELSE 'page 1' END, qs, plan)
FROM list_plans ORDER BY combo, deep;
\echo '</details>'
\echo

-- ---------------------------------------------------------------- stats
-- Over the big organization, as the service's statements (org_id first).
-- As the service's stats transaction (`STATS_WORK_MEM` in crates/persistence/src/repo.rs).
SET work_mem = '64MB';
CREATE FUNCTION pg_temp.sla_sql(w text) RETURNS text LANGUAGE sql AS $$
  SELECT 'SELECT ' || string_agg(format(
      'count(*) FILTER (WHERE %1$s <= %2$s) AS %3$s_met, '
   || 'count(*) FILTER (WHERE COALESCE(%1$s > %2$s, %2$s < now())) AS %3$s_breached, '
   || 'count(*) FILTER (WHERE %1$s IS NULL AND %2$s >= now()) AS %3$s_pending, '
   || 'avg(date_part(''epoch'', %1$s - created_at)) AS %3$s_mean, '
   || 'percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY date_part(''epoch'', %1$s - created_at)) AS %3$s_pct',
      e, due, pre), ', ') || ' FROM tickets ' || w
  FROM (VALUES ('first_responded_at', 'first_response_due_at', 'fr'),
               ('resolved_at', 'resolution_due_at', 'res')) t(e, due, pre)
$$;

CREATE TEMP TABLE stats_plans (filter text, stmt text, ms float8, plan text);
DO $$
DECLARE
  f record; s record; line text; plan text; p json;
BEGIN
  FOR f IN
    SELECT 'none (all the organization''s tickets)' AS label, format('WHERE org_id = %L', o.org) AS w
    FROM (SELECT current_setting('app.org_id') AS org) o
    UNION ALL
    SELECT 'camera_id = ' || camera_id || ' (the busiest camera)',
           format('WHERE org_id = %L AND camera_id = %s', current_setting('app.org_id'), camera_id)
    FROM (SELECT camera_id FROM tickets WHERE org_id = current_org() GROUP BY 1 ORDER BY count(*) DESC LIMIT 1) x
    UNION ALL
    SELECT 'provider_id = ''' || provider_id || ''' (the busiest provider)',
           format('WHERE org_id = %L AND provider_id = %L', current_setting('app.org_id'), provider_id)
    FROM (SELECT provider_id FROM tickets WHERE org_id = current_org() GROUP BY 1 ORDER BY count(*) DESC LIMIT 1) x
  LOOP
    FOR s IN
      SELECT 'counts' AS stmt, 'SELECT status, severity, provider_id, camera_id, count(*) AS n FROM tickets '
             || f.w || ' GROUP BY GROUPING SETS ((status), (severity), (provider_id), (camera_id))' AS sql
      UNION ALL SELECT 'sla', pg_temp.sla_sql(f.w)
    LOOP
      EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || s.sql INTO p;
      plan := '';
      FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS) ' || s.sql LOOP
        plan := plan || line || E'\n';
      END LOOP;
      INSERT INTO stats_plans VALUES (f.label, s.stmt, (p -> 0 ->> 'Execution Time')::float8, plan);
    END LOOP;
  END LOOP;
END $$;

\echo '### Stats: the two statements of one request'
\echo
\echo '| filter | counts ms | SLA ms | total ms |'
\echo '|---|---:|---:|---:|'
SELECT format('| %s | %s | %s | %s |', filter,
              round(max(ms) FILTER (WHERE stmt = 'counts')::numeric, 1),
              round(max(ms) FILTER (WHERE stmt = 'sla')::numeric, 1), round(sum(ms)::numeric, 1))
FROM stats_plans GROUP BY filter ORDER BY min(ctid);
\echo
\echo '<details><summary>Plans</summary>'
\echo
SELECT format(E'#### %s: %s\n\n```\n%s```\n', filter, stmt, plan) FROM stats_plans ORDER BY ctid;
\echo '</details>'
