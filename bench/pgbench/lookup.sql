-- pgbench script: only the per-request lookup of list.sql (bench.list_queries by primary
-- key, \gset). bench/run.sh runs it at the list's concurrency and takes its cost out of the
-- list ceiling: ceiling = 1 / (1 / tps(list.sql) - 1 / tps(lookup.sql)).
\set c random(1, :combos)
\set j random(1, :per_combo)
\set deep random(0, 1)
SELECT '{' || st || '}' AS st, '{' || sev || '}' AS sev, split_part(st, ',', 1) AS st1, split_part(st, ',', 2) AS st2, split_part(st, ',', 3) AS st3, split_part(st, ',', 4) AS st4, split_part(st, ',', 5) AS st5, split_part(st, ',', 6) AS st6, split_part(sev, ',', 1) AS sev1, split_part(sev, ',', 2) AS sev2, split_part(sev, ',', 3) AS sev3, split_part(sev, ',', 4) AS sev4, split_part(sev, ',', 5) AS sev5, cam, prov, asg, c_from, c_to, cur_at, cur_id, now() AS now FROM bench.list_queries WHERE combo = :c AND j = :j \gset q_
