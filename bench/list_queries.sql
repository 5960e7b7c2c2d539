-- List queries for the load generator and pgbench (run by load.sql, or alone after a load:
-- `psql -v ON_ERROR_STOP=1 -f bench/list_queries.sql <db>`).
--
-- The samples are tickets of the big organization (bench.params.org_id), the one the load
-- generator and pgbench act for. Each combination of filters gets `per_combo` sample tickets: per_combo - 1 drawn
-- uniformly from the tickets the combination's fixed filters match, and the oldest of them.
-- A sample gives the variable filters (its camera, provider, assignee, the day or week it
-- was created) and the cursor (its own created_at and id), so the cursors sit at uniformly
-- random depths of each result set, and one is past the end (the request after the last
-- page, which has to find that nothing is left). Every sample is used twice: as page 1
-- (no cursor) and as the page after the cursor.
--
-- bench/pgbench/list.sql has one branch per (combination, page 1 / deep page) with the
-- service's statement for it; bench/pgbench/gen-list.sh regenerates it from
-- bench.list_combos.

\set ON_ERROR_STOP on
\if :{?per_combo}
\else
\set per_combo 20
\endif

DROP TABLE IF EXISTS bench.list_combos, bench.list_queries;

CREATE TABLE bench.list_combos (
  no         int PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  statuses   text[],        -- fixed status filter
  severities text[],        -- fixed severity filter
  camera     bool NOT NULL, -- camera_id of the sample
  provider   bool NOT NULL, -- provider_id of the sample
  assignee   bool NOT NULL, -- assignee_id of the sample
  win        text,          -- 'day' | 'week': created_from/created_to around the sample
  breached   bool           -- sla_breached
);
INSERT INTO bench.list_combos VALUES
 ( 1, 'all',                   NULL, NULL,                            false, false, false, NULL,   NULL),
 ( 2, 'status_open',           '{open}', NULL,                        false, false, false, NULL,   NULL),
 ( 3, 'status_active',         '{open,assigned,in_progress}', NULL,   false, false, false, NULL,   NULL),
 ( 4, 'severity_high',         NULL, '{critical,high}',               false, false, false, NULL,   NULL),
 ( 5, 'open_high',             '{open}', '{critical,high}',           false, false, false, NULL,   NULL),
 ( 6, 'camera',                NULL, NULL,                            true,  false, false, NULL,   NULL),
 ( 7, 'camera_active',         '{open,assigned,in_progress}', NULL,   true,  false, false, NULL,   NULL),
 ( 8, 'provider',              NULL, NULL,                            false, true,  false, NULL,   NULL),
 ( 9, 'provider_critical',     NULL, '{critical}',                    false, true,  false, NULL,   NULL),
 (10, 'assignee',              NULL, NULL,                            false, false, true,  NULL,   NULL),
 (11, 'assignee_queue',        '{assigned,in_progress}', NULL,        false, false, true,  NULL,   NULL),
 (12, 'day',                   NULL, NULL,                            false, false, false, 'day',  NULL),
 (13, 'camera_week',           NULL, NULL,                            true,  false, false, 'week', NULL),
 (14, 'breached',              NULL, NULL,                            false, false, false, NULL,   true),
 (15, 'breached_active',       '{open,assigned,in_progress}', NULL,   false, false, false, NULL,   true),
 (16, 'provider_closed_week',  '{closed}', NULL,                      false, true,  false, 'week', NULL),
 (17, 'resolved_info_in_sla',  '{resolved}', '{info}',                false, false, false, NULL,   false),
 (18, 'everything',            '{closed}', '{low,medium}',            true,  true,  true,  'week', false);

CREATE TABLE bench.list_queries (
  combo   int NOT NULL,
  j       int NOT NULL,
  qs      text NOT NULL,   -- query string without the cursor
  cursor  text NOT NULL,   -- the service's cursor for (cur_at, cur_id)
  st      text, sev text, cam bigint, prov uuid, asg text,
  c_from  timestamptz, c_to timestamptz,
  cur_at  timestamptz NOT NULL, cur_id uuid NOT NULL,
  PRIMARY KEY (combo, j)
);

SELECT set_config('bench.per_combo', :'per_combo', false) AS per_combo_setting \gset

DO $$
DECLARE
  c bench.list_combos;
  pred text;
  breach text := '(COALESCE(first_responded_at > first_response_due_at, first_response_due_at < now()) '
              || 'OR COALESCE(resolved_at > resolution_due_at, resolution_due_at < now()))';
BEGIN
  FOR c IN SELECT * FROM bench.list_combos ORDER BY no LOOP
    pred := format('org_id = %L', (SELECT org_id FROM bench.params));
    IF c.statuses IS NOT NULL THEN pred := pred || format(' AND status = ANY(%L)', c.statuses); END IF;
    IF c.severities IS NOT NULL THEN pred := pred || format(' AND severity = ANY(%L)', c.severities); END IF;
    IF c.assignee THEN pred := pred || ' AND assignee_id IS NOT NULL'; END IF;
    IF c.breached IS TRUE THEN pred := pred || ' AND ' || breach; END IF;
    IF c.breached IS FALSE THEN pred := pred || ' AND NOT ' || breach; END IF;
    EXECUTE format($q$
      INSERT INTO bench.list_queries (combo, j, qs, cursor, st, sev, cam, prov, asg, c_from, c_to,
                                      cur_at, cur_id)
      SELECT %1$s, row_number() OVER (), '', '', %2$L, %3$L,
             CASE WHEN %4$L THEN camera_id END, CASE WHEN %5$L THEN provider_id END,
             CASE WHEN %6$L THEN assignee_id END,
             CASE %7$L WHEN 'day' THEN date_trunc('day', created_at)
                       WHEN 'week' THEN date_trunc('day', created_at) - interval '6 days' END,
             CASE WHEN %7$L IS NOT NULL THEN date_trunc('day', created_at) + interval '1 day' END,
             created_at, id
      FROM ((SELECT * FROM tickets WHERE %8$s ORDER BY random() LIMIT %9$s - 1)
            UNION ALL
            (SELECT * FROM tickets WHERE %8$s ORDER BY created_at, id LIMIT 1)) s
    $q$, c.no, array_to_string(c.statuses, ','), array_to_string(c.severities, ','),
         c.camera, c.provider, c.assignee, c.win, pred,
         current_setting('bench.per_combo')::int);
  END LOOP;
END $$;

-- The query string, in the service's syntax: comma-separated lists, RFC 3339 in UTC with
-- `Z`, the cursor as `{created_at micros, hex}.{id, simple}`.
UPDATE bench.list_queries q SET
  qs = concat_ws('&',
         'status=' || q.st, 'severity=' || q.sev, 'camera_id=' || q.cam,
         'provider_id=' || q.prov, 'assignee_id=' || q.asg,
         'created_from=' || to_char(q.c_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'created_to=' || to_char(q.c_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'sla_breached=' || c.breached),
  cursor = to_hex(floor(extract(epoch FROM q.cur_at) * 1000000)::bigint) || '.'
           || replace(q.cur_id::text, '-', '')
FROM bench.list_combos c WHERE c.no = q.combo;

-- Combinations with fewer matches than per_combo reuse their samples (pgbench draws j
-- from 1..per_combo).
INSERT INTO bench.list_queries
SELECT q.combo, n.j, q.qs, q.cursor, q.st, q.sev, q.cam, q.prov, q.asg, q.c_from, q.c_to,
       q.cur_at, q.cur_id
FROM generate_series(1, :per_combo) AS n(j)
CROSS JOIN bench.list_combos c
JOIN bench.list_queries q ON q.combo = c.no
 AND q.j = 1 + (n.j - 1) % (SELECT count(*) FROM bench.list_queries x WHERE x.combo = c.no)
WHERE NOT EXISTS (SELECT 1 FROM bench.list_queries x WHERE x.combo = c.no AND x.j = n.j);

-- pgbench reads the samples as the service's role (bench/load.sql grants the rest).
GRANT SELECT ON bench.list_combos, bench.list_queries TO ticket_app;
