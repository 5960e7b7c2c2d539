-- pgbench script: the SQL the service runs for PATCH /api/tickets/TCK-{n}/status (re-assignment)
-- (crates/persistence/src/repo.rs: find, then save_transition/update_if_version), statement for statement, with diesel's
-- quoting. Values the service binds as parameters are pgbench variables (sent as
-- parameters with -M prepared, as diesel-async does); values it computes client-side
-- (ids, times, the event payload) are computed here by SQL or are literals of the same size.
-- Row-level security: bench/run.sh connects pgbench as ticket_app (PGOPTIONS role, once per
-- connection, as the service's pool SETs ROLE once per connection), and every transaction
-- names its organization (:org, the big organization of bench.params) with set_config in
-- the pipeline of its first statement, as repo.rs `set_org`.
-- Variables from bench/run.sh (-D): org, n_status (rows of bench.status_targets), one.
-- The service reads the ticket (its own transaction: set_config and the read in one
-- pipeline), decides, then writes in a second transaction with set_config, the version
-- check, the update and the two inserts as one pipeline. Targets are the assigned/in_progress
-- tickets of bench.status_targets, re-assigned to a random operator (as the load generator
-- does); number and id are read by sub-selects (primary-key lookups on a small table).
-- pgbench cannot \gset inside a pipeline, so the values the service sends from the row it
-- read are here the row's own columns (the version check compares the version with
-- itself): the same rows written with the same round trips.
\set k random(1, :n_status)
\set u random(1, 200)
BEGIN;
\startpipeline
SELECT set_config('app.org_id', :org, true);
SELECT "tickets"."id", "tickets"."org_id", "tickets"."number", "tickets"."title", "tickets"."description", "tickets"."severity", "tickets"."status", "tickets"."camera_id", "tickets"."provider_id", "tickets"."alert_type", "tickets"."alert_data", "tickets"."dedup_key", "tickets"."occurred_at", "tickets"."assignee_id", "tickets"."alert_count", "tickets"."first_alert_at", "tickets"."last_alert_at", "tickets"."first_response_due_at", "tickets"."first_responded_at", "tickets"."resolution_due_at", "tickets"."resolved_at", "tickets"."closed_at", "tickets"."created_at", "tickets"."updated_at", "tickets"."version" FROM "tickets" WHERE (("tickets"."org_id" = :org) AND ("tickets"."number" = (SELECT number FROM bench.status_targets WHERE k = :k))) LIMIT :one;
\endpipeline
COMMIT;
BEGIN;
\startpipeline
SELECT set_config('app.org_id', :org, true);
UPDATE "tickets" SET "severity" = "severity", "status" = 'assigned', "assignee_id" = 'op-' || :u, "alert_count" = "alert_count", "first_alert_at" = "first_alert_at", "last_alert_at" = "last_alert_at", "first_responded_at" = "first_responded_at", "resolved_at" = NULL, "closed_at" = NULL, "updated_at" = now(), "version" = "version" + 1 WHERE ((("tickets"."id" = (SELECT id FROM bench.status_targets WHERE k = :k)) AND ("tickets"."org_id" = :org)) AND ("tickets"."version" = "tickets"."version"));
INSERT INTO "ticket_state_history" ("org_id", "ticket_id", "from_status", "to_status", "actor", "reason", "changed_at") VALUES (:org, (SELECT id FROM bench.status_targets WHERE k = :k), 'assigned', 'assigned', 'bench', DEFAULT, now());
INSERT INTO "notification_logs" ("org_id", "ticket_id", "event_type", "payload", "next_attempt_at", "created_at") VALUES (:org, (SELECT id FROM bench.status_targets WHERE k = :k), 'status_changed', '{"at": "2026-11-27T14:46:06.188091Z", "data": {"title": "Person detected in restricted zone"}, "number": "TCK-1001001", "status": "open", "version": 1, "severity": "high", "camera_id": 1042, "ticket_id": "01a21d78-806c-72fe-947b-740710d1e6f9", "event_type": "status_changed", "assignee_id": null, "provider_id": "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24"}', now(), now());
\endpipeline
COMMIT;
