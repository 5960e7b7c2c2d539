-- pgbench script: the SQL the service runs for POST /api/tickets merging an alert into an active ticket
-- (crates/persistence/src/repo.rs: ingest_once, the merge branch), statement for statement, with diesel's
-- quoting. Values the service binds as parameters are pgbench variables (sent as
-- parameters with -M prepared, as diesel-async does); values it computes client-side
-- (ids, times, the event payload) are computed here by SQL or are literals of the same size.
-- Row-level security: bench/run.sh connects pgbench as ticket_app (PGOPTIONS role, once per
-- connection, as the service's pool SETs ROLE once per connection), and every transaction
-- names its organization (:org, the big organization of bench.params) with set_config in
-- the pipeline of its first statement, as repo.rs `set_org`.
-- Variables from bench/run.sh (-D): org, n_merge (rows of bench.merge_targets), active, one.
-- The target is an open ticket of bench.merge_targets (the load generator's merge alerts
-- carry the same keys); its key is read by sub-selects (primary-key lookups on a small
-- table, no extra round trip). Alerts without external_id: no replay check, as in the
-- load generator's merge bodies. Two pipelines, as the service: set_config with the locked
-- lookup, then the update and the two inserts. pgbench cannot \gset inside a pipeline, so
-- the values the service sends from the row it read are here the same expressions over the
-- row (alert_count + 1, version + 1) or sub-selects of the target: the same rows written
-- with the same round trips.
\set k random(1, :n_merge)
BEGIN;
\startpipeline
SELECT set_config('app.org_id', :org, true);
SELECT "tickets"."id", "tickets"."org_id", "tickets"."number", "tickets"."title", "tickets"."description", "tickets"."severity", "tickets"."status", "tickets"."camera_id", "tickets"."provider_id", "tickets"."alert_type", "tickets"."alert_data", "tickets"."dedup_key", "tickets"."occurred_at", "tickets"."assignee_id", "tickets"."alert_count", "tickets"."first_alert_at", "tickets"."last_alert_at", "tickets"."first_response_due_at", "tickets"."first_responded_at", "tickets"."resolution_due_at", "tickets"."resolved_at", "tickets"."closed_at", "tickets"."created_at", "tickets"."updated_at", "tickets"."version" FROM "tickets" WHERE (((("tickets"."org_id" = :org) AND ("tickets"."provider_id" = (SELECT provider_id FROM bench.merge_targets WHERE k = :k))) AND ("tickets"."dedup_key" = (SELECT dedup_key FROM bench.merge_targets WHERE k = :k))) AND ("tickets"."status" = ANY(:active))) LIMIT :one FOR UPDATE;
\endpipeline
\startpipeline
UPDATE "tickets" SET "severity" = (SELECT severity FROM bench.merge_targets WHERE k = :k), "status" = 'open', "assignee_id" = NULL, "alert_count" = "alert_count" + 1, "first_alert_at" = "first_alert_at", "last_alert_at" = now(), "first_responded_at" = NULL, "resolved_at" = NULL, "closed_at" = NULL, "updated_at" = now(), "version" = "version" + 1 WHERE (("tickets"."id" = (SELECT id FROM bench.merge_targets WHERE k = :k)) AND ("tickets"."org_id" = :org));
INSERT INTO "ticket_alerts" ("org_id", "ticket_id", "provider_id", "external_id", "title", "severity", "alert_type", "payload", "occurred_at", "received_at") VALUES (:org, (SELECT id FROM bench.merge_targets WHERE k = :k), (SELECT provider_id FROM bench.merge_targets WHERE k = :k), DEFAULT, (SELECT title FROM bench.merge_targets WHERE k = :k), (SELECT severity FROM bench.merge_targets WHERE k = :k), (SELECT alert_type FROM bench.merge_targets WHERE k = :k), '{"zone": "zone-3", "confidence": 0.91, "detections": [{"bbox": [120, 80, 64, 180], "label": "person", "score": 0.88}], "snapshot_url": "https://vms.example.net/snapshots/bench.jpg"}', now(), now());
INSERT INTO "notification_logs" ("org_id", "ticket_id", "event_type", "payload", "next_attempt_at", "created_at") VALUES (:org, (SELECT id FROM bench.merge_targets WHERE k = :k), 'alert_merged', '{"at": "2026-11-27T14:46:06.188091Z", "data": {"title": "Person detected in restricted zone"}, "number": "TCK-1001001", "status": "open", "version": 1, "severity": "high", "camera_id": 1042, "ticket_id": "01a21d78-806c-72fe-947b-740710d1e6f9", "event_type": "alert_merged", "assignee_id": null, "provider_id": "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24"}', now(), now());
\endpipeline
COMMIT;
