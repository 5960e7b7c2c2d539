-- Bench data set: set-based, one transaction, on a database the service has migrated.
--
--   psql -v tickets=1000000 -v days=90 -v cameras=2000 -v providers=20 -v outbox=1 \
--        -v ON_ERROR_STOP=1 --single-transaction -f bench/load.sql <db>
--
-- What it makes (proportions, not absolute counts):
--   * 50 organizations (`bench-big`, then `bench-01` .. `bench-49`, made with
--     provision_organization so each has its ticket-number sequence): `bench-big` holds 40 %
--     of the tickets (the worst case for lists and stats: the most rows behind every org-led
--     index), the other 49 share the rest evenly. Every child row (alerts, comments, history,
--     events) is its ticket's organization's. Numbers count per organization from 1, as the
--     trigger numbers them; each organization's sequence is set past its last ticket.
--     bench.params.org_id is `bench-big`: the targets of the load generator and pgbench
--     (merge, status, stats filters, list samples) are its tickets.
--   * `tickets` over the last `days` days, creation times increasing with `number`, ids
--     UUIDv7-shaped like the service's (time-ordered), cameras skewed (a few noisy cameras get
--     most alerts), camera c belongs to provider c % providers, 12 alert types (skewed),
--     severities skewed to low/medium, dedup keys derived exactly as the service derives them
--     (`{provider_id}/{camera_id}/{alert_type}`).
--   * Status: a key's latest ticket from the last 5 days is active (open/assigned/
--     in_progress) with probability 0.7; every other ticket has left the active states
--     (closed 70%, resolved 15%, false_positive 15%). So at most one active ticket per
--     (provider_id, dedup_key), as the unique index demands.
--   * SLA: due times from the default targets; response and resolution times exponential
--     around the target (about 13% of responses and 8% of resolutions late); breach
--     notification marks set for targets already breached, as the SLA worker would have.
--   * `ticket_alerts` = alert_count rows per ticket (76% single alerts), with external ids;
--     `ticket_state_history` = creation row + one row per transition of the ticket's path;
--     `ticket_comments` about 1 per worked ticket; `notification_logs` one delivered row per
--     event (set -v outbox=0 to leave the outbox empty).
--   * `version` = 1 + merges + transitions + comments; `updated_at` = the last of them.
--   * Schema `bench`: targets for the load generator and pgbench (merge keys, status-change
--     tickets, list queries with cursors at random depths, stats filters).
--
-- Secondary indexes are dropped and rebuilt from their own definitions (pg_indexes) inside
-- the same transaction, and FK triggers are skipped while loading (rows reference tickets by
-- construction; checked at the end). Any failure rolls the whole load back.

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';
SET synchronous_commit = off;
SET session_replication_role = replica;
SELECT setseed(0.42);

\if :{?outbox}
\else
\set outbox 1
\endif

-- ---------------------------------------------------------------- start from empty tables
TRUNCATE ticket_timers, notification_logs, ticket_comments, ticket_state_history, ticket_alerts,
    tickets
    RESTART IDENTITY;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

CREATE TABLE bench.saved_indexes AS
SELECT i.indexname, i.indexdef
FROM pg_indexes i
WHERE i.schemaname = 'public'
  AND i.tablename IN ('tickets', 'ticket_alerts', 'ticket_comments', 'ticket_state_history',
                      'notification_logs')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname);

SELECT format('DROP INDEX %I', indexname) FROM bench.saved_indexes \gexec

-- ---------------------------------------------------------------- reference data
CREATE TABLE bench.alert_types (t int PRIMARY KEY, name text NOT NULL, title text NOT NULL);
INSERT INTO bench.alert_types VALUES
 (0, 'intrusion', 'Person detected in restricted zone'),
 (1, 'loitering', 'Loitering detected'),
 (2, 'line_crossing', 'Virtual line crossed'),
 (3, 'tampering', 'Camera tampering detected'),
 (4, 'crowd', 'Crowd gathering'),
 (5, 'abandoned_object', 'Abandoned object'),
 (6, 'vehicle_stopped', 'Vehicle stopped in no-parking zone'),
 (7, 'camera_offline', 'Camera video signal lost'),
 (8, 'smoke', 'Smoke detected'),
 (9, 'fire', 'Fire detected'),
 (10, 'face_match', 'Watch-list face match'),
 (11, 'lpr_match', 'Watch-list licence plate match');

CREATE TABLE bench.sla (severity text PRIMARY KEY, fr interval NOT NULL, res interval NOT NULL);
INSERT INTO bench.sla VALUES
 ('critical', '5 min', '1 hour'), ('high', '15 min', '4 hours'), ('medium', '1 hour', '24 hours'),
 ('low', '4 hours', '72 hours'), ('info', '24 hours', '7 days');

-- Organization 0 is the big one. Ids are derived from the number, so reloading finds the
-- same organizations (provision_organization leaves an existing one as it is).
CREATE TABLE bench.orgs AS
SELECT o, md5('bench-org-' || o)::uuid AS id,
       CASE WHEN o = 0 THEN 'bench-big' ELSE 'bench-' || lpad(o::text, 2, '0') END AS slug
FROM generate_series(0, 49) AS o;
SELECT count(provision_organization(id, slug, 'Bench ' || slug)) AS provisioned FROM bench.orgs;

CREATE TABLE bench.params AS
SELECT :tickets::int AS n, :days::int AS days, :cameras::int AS cameras,
       :providers::int AS providers, now() AS t_end,
       now() - make_interval(days => :days) AS t_start,
       (SELECT id FROM bench.orgs WHERE o = 0) AS org_id,
       (SELECT slug FROM bench.orgs WHERE o = 0) AS org_slug;

-- ---------------------------------------------------------------- ticket attributes
CREATE UNLOGGED TABLE bench.gen AS
WITH base AS (
  SELECT i,
         -- 2 tickets in 5 to the big organization; the other 3 in 5 round-robin over the
         -- 49 others (5 and 49 are coprime, so each gets the same share)
         CASE WHEN i % 5 < 2 THEN 0 ELSE 1 + i % 49 END AS o,
         p.t_start + (p.t_end - p.t_start) * ((i - 1 + random()) / p.n) AS created_at,
         1 + floor(p.cameras * power(random(), 2))::int AS camera_id,
         floor(12 * power(random(), 1.6))::int AS t,
         random() AS r_sev, random() AS r_status, random() AS r_fr, random() AS r_res,
         random() AS r_close, random() AS r_ac, random() AS r_nc, random() AS r_asg,
         random() AS r_desc, random() AS r_path, random() AS r_lat
  FROM generate_series(1, :tickets) AS i, bench.params p
), keyed AS (
  SELECT b.*,
         (b.camera_id % p.providers) AS provider_no,
         -- each organization has its own cameras' keys: at most one active ticket per
         -- (organization, provider, key), as the unique index demands
         row_number() OVER (PARTITION BY b.o, b.camera_id, b.t ORDER BY b.i DESC) AS rn_key,
         row_number() OVER (PARTITION BY b.o ORDER BY b.i) AS org_seq
  FROM base b, bench.params p
)
SELECT k.i,
       og.id AS org_id,
       k.org_seq AS number,
       k.created_at,
       k.created_at - k.r_lat * interval '5 seconds' AS occurred_at,
       k.camera_id::bigint AS camera_id,
       md5('provider-' || k.provider_no)::uuid AS provider_id,
       at.name AS alert_type,
       at.title,
       CASE WHEN k.r_sev < 0.03 THEN 'critical' WHEN k.r_sev < 0.15 THEN 'high'
            WHEN k.r_sev < 0.45 THEN 'medium' WHEN k.r_sev < 0.80 THEN 'low' ELSE 'info' END
         AS severity,
       CASE
         WHEN k.rn_key = 1 AND k.created_at > (SELECT t_end FROM bench.params) - interval '5 days'
              AND k.r_status < 0.7 THEN
           CASE WHEN k.r_status < 0.35 THEN 'open' WHEN k.r_status < 0.49 THEN 'assigned'
                ELSE 'in_progress' END
         ELSE
           CASE WHEN k.r_path < 0.70 THEN 'closed' WHEN k.r_path < 0.85 THEN 'resolved'
                ELSE 'false_positive' END
       END AS status,
       1 + floor(-ln(1 - k.r_ac) * 0.7)::int AS alert_count,
       k.r_fr, k.r_res, k.r_close, k.r_nc, k.r_asg, k.r_desc, k.r_path
FROM keyed k JOIN bench.alert_types at ON at.t = k.t JOIN bench.orgs og ON og.o = k.o;

-- Times, assignee, lifecycle path, comment count.
CREATE UNLOGGED TABLE bench.tk AS
WITH s AS (
  SELECT g.*, sla.fr, sla.res, p.t_end,
         g.created_at + sla.fr AS fr_due, g.created_at + sla.res AS res_due,
         -- direct false positive: one transition, which is also the first response
         (g.status = 'false_positive' AND g.r_path > 0.94) AS fp_direct
  FROM bench.gen g JOIN bench.sla sla USING (severity), bench.params p
), t1 AS (
  SELECT s.*,
         CASE WHEN s.status = 'open' THEN NULL
              ELSE s.created_at + LEAST(s.fr * 0.5 * -ln(1 - s.r_fr) + interval '1 second',
                                        (s.t_end - s.created_at) * 0.5) END AS fr_at
  FROM s
), t2 AS (
  SELECT t1.*,
         CASE WHEN t1.status IN ('open', 'assigned', 'in_progress') THEN NULL
              WHEN t1.fp_direct THEN t1.fr_at
              ELSE t1.fr_at + LEAST(t1.res * 0.4 * -ln(1 - t1.r_res) + interval '1 second',
                                    (t1.t_end - t1.fr_at) * 0.5) END AS resolved_at
  FROM t1
), t3 AS (
  SELECT t2.*,
         CASE WHEN t2.status = 'closed'
              THEN t2.resolved_at + LEAST(interval '1 day' * -ln(1 - t2.r_close),
                                          (t2.t_end - t2.resolved_at) * 0.5) END AS closed_at,
         CASE t2.status
           WHEN 'open' THEN ARRAY['open']
           WHEN 'assigned' THEN ARRAY['open', 'assigned']
           WHEN 'in_progress' THEN ARRAY['open', 'assigned', 'in_progress']
           WHEN 'resolved' THEN ARRAY['open', 'assigned', 'in_progress', 'resolved']
           WHEN 'closed' THEN ARRAY['open', 'assigned', 'in_progress', 'resolved', 'closed']
           ELSE CASE WHEN t2.fp_direct THEN ARRAY['open', 'false_positive']
                     ELSE ARRAY['open', 'assigned', 'false_positive'] END
         END AS path,
         CASE WHEN t2.status = 'open' OR t2.fp_direct THEN NULL
              ELSE 'op-' || (1 + floor(200 * power(t2.r_asg, 2))::int) END AS assignee_id,
         CASE WHEN t2.status = 'open' THEN 0
              ELSE floor(-ln(1 - t2.r_nc) * 1.5)::int END AS n_comments
  FROM t2
)
SELECT t3.*,
       -- the last worked moment: resolution, or halfway from the first response to now
       CASE WHEN t3.status = 'open' THEN NULL
            ELSE COALESCE(t3.resolved_at, t3.fr_at + (t3.t_end - t3.fr_at) * 0.5) END AS work_end,
       -- alerts spread between the first alert and the end of the active period
       LEAST(t3.occurred_at + (t3.alert_count - 1) * interval '3 minutes',
             COALESCE(t3.resolved_at, t3.t_end)) AS last_alert_at,
       CASE WHEN t3.fr_due + interval '15 seconds' < t3.t_end
                 AND (t3.fr_at IS NULL OR t3.fr_at > t3.fr_due)
            THEN t3.fr_due + interval '15 seconds' END AS fr_notified,
       CASE WHEN t3.res_due + interval '15 seconds' < t3.t_end
                 AND (t3.resolved_at IS NULL OR t3.resolved_at > t3.res_due)
            THEN t3.res_due + interval '15 seconds' END AS res_notified,
       md5('ticket-' || t3.i) AS h
FROM t3;

-- ---------------------------------------------------------------- tickets
-- The loader numbers the tickets itself (later steps join on the number): the trigger that
-- gives each new ticket its organization's next number is off while it loads.
ALTER TABLE tickets DISABLE TRIGGER tickets_assign_number;
INSERT INTO tickets (id, org_id, number, title, description, severity, status, camera_id, provider_id,
                     alert_type, alert_data, dedup_key, occurred_at, assignee_id, alert_count,
                     first_alert_at, last_alert_at, first_response_due_at, first_responded_at,
                     resolution_due_at, resolved_at, closed_at,
                     first_response_breach_notified_at, resolution_breach_notified_at,
                     created_at, updated_at, version)
SELECT (lpad(to_hex(floor(extract(epoch FROM t.created_at) * 1000)::bigint), 12, '0')
          || '7' || substr(t.h, 1, 3) || '8' || substr(t.h, 4, 15))::uuid,
       t.org_id, t.number,
       t.title,
       CASE WHEN t.r_desc < 0.25
            THEN t.title || ' on camera ' || t.camera_id || ', zone ' || (t.i % 8)
                 || '. Reported by the analytics provider; see the snapshot.' END,
       t.severity, t.status, t.camera_id, t.provider_id, t.alert_type,
       jsonb_build_object(
         'confidence', round((0.5 + t.r_fr / 2)::numeric, 2),
         'zone', 'zone-' || (t.i % 8),
         'snapshot_url', 'https://vms.example.net/snapshots/' || t.number || '.jpg',
         'detections', jsonb_build_array(jsonb_build_object(
             'label', 'person', 'score', round((0.5 + t.r_res / 2)::numeric, 2),
             'bbox', jsonb_build_array(120, 80, 64, 180)))),
       t.provider_id::text || '/' || t.camera_id || '/' || t.alert_type,
       t.occurred_at, t.assignee_id, t.alert_count,
       t.occurred_at, t.last_alert_at, t.fr_due, t.fr_at, t.res_due, t.resolved_at, t.closed_at,
       t.fr_notified, t.res_notified,
       t.created_at,
       GREATEST(t.created_at, t.last_alert_at, t.fr_at, t.work_end, t.closed_at),
       t.alert_count + cardinality(t.path) - 1 + t.n_comments
FROM bench.tk t
ORDER BY t.i;

ALTER TABLE tickets ENABLE TRIGGER tickets_assign_number;
-- The next ticket of each organization (a write of the bench) continues after its last.
SELECT count(setval(ticket_number_sequence(org_id), last)) AS sequences_set
FROM (SELECT org_id, max(number) AS last FROM tickets GROUP BY org_id) o;

CREATE UNLOGGED TABLE bench.ids AS
SELECT t.i, tk.id FROM bench.tk t JOIN tickets tk ON tk.org_id = t.org_id AND tk.number = t.number;
ALTER TABLE bench.ids ADD PRIMARY KEY (i);

-- ---------------------------------------------------------------- alerts
INSERT INTO ticket_alerts (org_id, ticket_id, provider_id, external_id, title, severity, alert_type,
                           payload, occurred_at, received_at)
SELECT t.org_id, d.id, t.provider_id, 'evt-' || t.number || '-' || a.n, t.title, t.severity, t.alert_type,
       jsonb_build_object('confidence', 0.87, 'zone', 'zone-' || (t.i % 8),
                          'snapshot_url', 'https://vms.example.net/snapshots/' || t.number
                                          || '-' || a.n || '.jpg'),
       at_, at_ + interval '200 milliseconds'
FROM bench.tk t
JOIN bench.ids d USING (i)
CROSS JOIN LATERAL generate_series(1, t.alert_count) AS a(n)
CROSS JOIN LATERAL (SELECT CASE WHEN t.alert_count = 1 THEN t.occurred_at
                                ELSE t.occurred_at + (t.last_alert_at - t.occurred_at)
                                     * ((a.n - 1)::float8 / (t.alert_count - 1)) END) AS x(at_)
ORDER BY t.i, a.n;

-- ---------------------------------------------------------------- state history
-- Creation row at created_at; the first transition is the first response; the resolving
-- transition at resolved_at; closing at closed_at; steps in between spread evenly.
CREATE UNLOGGED TABLE bench.hist AS
SELECT t.i, t.org_id, d.id AS ticket_id, p.ord,
       CASE WHEN p.ord = 1 THEN NULL ELSE t.path[p.ord - 1] END AS from_status,
       p.st AS to_status,
       CASE WHEN p.ord = 1 THEN NULL ELSE COALESCE(t.assignee_id, 'op-' || (1 + t.i % 200)) END
         AS actor,
       CASE WHEN p.st = 'false_positive' THEN 'no threat on the footage'
            WHEN p.st = 'resolved' AND t.r_res < 0.3 THEN 'guard dispatched, area cleared' END
         AS reason,
       CASE WHEN p.ord = 1 THEN t.created_at
            WHEN p.st = 'closed' THEN t.closed_at
            WHEN p.st IN ('resolved', 'false_positive') THEN t.resolved_at
            WHEN p.ord = 2 THEN t.fr_at
            ELSE t.fr_at + (t.work_end - t.fr_at) * ((p.ord - 2)::float8 / cardinality(t.path))
       END AS changed_at
FROM bench.tk t
JOIN bench.ids d USING (i)
CROSS JOIN LATERAL unnest(t.path) WITH ORDINALITY AS p(st, ord);

INSERT INTO ticket_state_history (org_id, ticket_id, from_status, to_status, actor, reason, changed_at)
SELECT org_id, ticket_id, from_status, to_status, actor, reason, changed_at
FROM bench.hist ORDER BY i, ord;

-- ---------------------------------------------------------------- comments
-- Spread between the first response and work_end, so updated_at covers them.
CREATE UNLOGGED TABLE bench.comm AS
SELECT t.i, t.org_id, d.id AS ticket_id, c.n,
       t.fr_at + (t.work_end - t.fr_at) * (c.n::float8 / (t.n_comments + 1)) AS created_at,
       COALESCE(t.assignee_id, 'op-' || (1 + t.i % 200)) AS author_id,
       CASE WHEN (t.i + c.n) % 4 = 0 THEN 'external' ELSE 'internal' END AS visibility,
       (ARRAY['Guard dispatched to the location.',
              'Checked the live view: two people near the fence, calling security.',
              'Customer informed; waiting for on-site confirmation.',
              'Recurring false alarm caused by headlights; asked the integrator to tune the zone.',
              'Footage exported and attached to the incident report.'])[1 + (t.i + c.n) % 5]
         AS body
FROM bench.tk t
JOIN bench.ids d USING (i)
CROSS JOIN LATERAL generate_series(1, t.n_comments) AS c(n);

INSERT INTO ticket_comments (id, org_id, ticket_id, author_id, body, visibility, created_at)
SELECT (lpad(to_hex(floor(extract(epoch FROM c.created_at) * 1000)::bigint), 12, '0')
          || '7' || substr(md5('comment-' || c.i || '-' || c.n), 1, 3) || '9'
          || substr(md5('comment-' || c.i || '-' || c.n), 4, 15))::uuid,
       c.org_id, c.ticket_id, c.author_id, c.body, c.visibility, c.created_at
FROM bench.comm c ORDER BY c.i, c.n;

-- ---------------------------------------------------------------- outbox (delivered events)
\if :outbox
INSERT INTO notification_logs (org_id, ticket_id, event_type, payload, status, attempts, next_attempt_at,
                               created_at, delivered_at)
SELECT t.org_id, e.ticket_id, e.event_type,
       jsonb_build_object('event_type', e.event_type, 'ticket_id', e.ticket_id,
                          'number', t.number::text, 'status', t.status, 'severity', t.severity,
                          'camera_id', t.camera_id, 'provider_id', t.provider_id,
                          'assignee_id', t.assignee_id, 'version', e.v, 'at', e.at,
                          'data', e.data),
       'sent', 1, e.at, e.at, e.at + interval '40 milliseconds'
FROM (
  SELECT h.i, h.ticket_id,
         CASE WHEN h.ord = 1 THEN 'ticket_created' ELSE 'status_changed' END AS event_type,
         h.ord AS v, h.changed_at AS at,
         CASE WHEN h.ord = 1 THEN jsonb_build_object('title', 'x')
              ELSE jsonb_build_object('from_status', h.from_status, 'to_status', h.to_status,
                                      'actor', h.actor, 'reason', h.reason) END AS data
  FROM bench.hist h
  UNION ALL
  SELECT c.i, c.ticket_id, 'comment_added', 1 + c.n, c.created_at,
         jsonb_build_object('author_id', c.author_id, 'visibility', c.visibility)
  FROM bench.comm c
  UNION ALL
  SELECT a.i, d.id, 'alert_merged', 1 + a.n, a.received_at,
         jsonb_build_object('alert_count', a.n, 'alert_severity', 'low')
  FROM (SELECT t.i, n, t.occurred_at + (t.last_alert_at - t.occurred_at)
                          * ((n - 1)::float8 / (t.alert_count - 1)) AS received_at
        FROM bench.tk t CROSS JOIN LATERAL generate_series(2, t.alert_count) AS n
        WHERE t.alert_count > 1) a JOIN bench.ids d USING (i)
  UNION ALL
  SELECT t.i, d.id, 'sla_breached', 1, x.at, jsonb_build_object('target', x.target)
  FROM bench.tk t JOIN bench.ids d USING (i)
  CROSS JOIN LATERAL (VALUES ('first_response', t.fr_notified), ('resolution', t.res_notified))
       AS x(target, at)
  WHERE x.at IS NOT NULL
) e JOIN bench.tk t USING (i);
\endif

-- ---------------------------------------------------------------- indexes back, statistics
SELECT indexdef FROM bench.saved_indexes \gexec

-- Every child row references a ticket (FK triggers were skipped while loading).
SELECT n AS fk_orphans, n = 0 AS fk_ok FROM (
  SELECT (SELECT count(*) FROM ticket_alerts x WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = x.ticket_id))
       + (SELECT count(*) FROM ticket_comments x WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = x.ticket_id))
       + (SELECT count(*) FROM ticket_state_history x WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = x.ticket_id))
       + (SELECT count(*) FROM notification_logs x WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = x.ticket_id))
       AS n) c \gset
\if :fk_ok
\else
\echo rows without a ticket: :fk_orphans
DO $$ BEGIN RAISE EXCEPTION 'rows without a ticket'; END $$;
\endif

SET session_replication_role = origin;

-- ---------------------------------------------------------------- targets for the load
-- All of the big organization (bench.params.org_id), the one the load generator and
-- pgbench act for. Merge targets: open tickets (an alert with their key joins them).
-- Status targets: the other active tickets (re-assigned back and forth). Disjoint, so
-- phases do not interfere.
CREATE TABLE bench.merge_targets AS
SELECT row_number() OVER (ORDER BY t.number)::int AS k, t.id, t.number, t.provider_id,
       t.camera_id, t.alert_type, t.title, t.severity, t.dedup_key
FROM tickets t WHERE t.org_id = (SELECT org_id FROM bench.params) AND t.status = 'open';
ALTER TABLE bench.merge_targets ADD PRIMARY KEY (k);

CREATE TABLE bench.status_targets AS
SELECT row_number() OVER (ORDER BY t.number)::int AS k, t.id, t.number
FROM tickets t
WHERE t.org_id = (SELECT org_id FROM bench.params) AND t.status IN ('assigned', 'in_progress');
ALTER TABLE bench.status_targets ADD PRIMARY KEY (k);

-- Stats filters: a camera / provider of a random ticket (busy ones more often).
CREATE TABLE bench.stats_filters AS
SELECT row_number() OVER ()::int AS k, camera_id, provider_id
FROM (SELECT camera_id, provider_id FROM tickets WHERE org_id = (SELECT org_id FROM bench.params)
      ORDER BY random() LIMIT 200) s;
ALTER TABLE bench.stats_filters ADD PRIMARY KEY (k);

DROP TABLE bench.gen, bench.tk, bench.hist, bench.comm, bench.ids;

\ir list_queries.sql

-- pgbench runs the service's SQL as the service's role (ticket_app, under row-level
-- security); its scripts read their targets from these tables.
GRANT USAGE ON SCHEMA bench TO ticket_app;
GRANT SELECT ON ALL TABLES IN SCHEMA bench TO ticket_app;

ANALYZE;
