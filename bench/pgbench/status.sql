-- pgbench script: the SQL the service runs for PATCH /api/tickets/TCK-{n}/status (re-assignment)
-- (crates/persistence/src/repo.rs: find_row, then save_transition/update_if_version), statement for statement, with diesel's
-- quoting. Values the service binds as parameters are pgbench variables (sent as
-- parameters with -M prepared, as diesel-async does); values it computes client-side
-- (ids, times, the event payload) are computed here by SQL or are literals of the same size.
-- Variables from bench/run.sh (-D): n_status (rows of bench.status_targets), one.
-- The service reads the ticket (outside a transaction), decides, then writes in one
-- transaction with the version check, the update and the two inserts as one pipeline. Targets are the assigned/in_progress tickets of
-- bench.status_targets, re-assigned to a random operator (as the load generator does);
-- the number is read by a sub-select (primary-key lookup on a small table).
\set k random(1, :n_status)
\set u random(1, 200)
SELECT "tickets"."id", "tickets"."number", "tickets"."title", "tickets"."description", "tickets"."severity", "tickets"."status", "tickets"."camera_id", "tickets"."provider_id", "tickets"."alert_type", "tickets"."alert_data", "tickets"."dedup_key", "tickets"."occurred_at", "tickets"."assignee_id", "tickets"."alert_count", "tickets"."first_alert_at", "tickets"."last_alert_at", "tickets"."first_response_due_at", "tickets"."first_responded_at", "tickets"."resolution_due_at", "tickets"."resolved_at", "tickets"."closed_at", "tickets"."created_at", "tickets"."updated_at", "tickets"."version" FROM "tickets" WHERE ("tickets"."number" = (SELECT number FROM bench.status_targets WHERE k = :k)) LIMIT :one \gset t_
\set nv :t_version + 1
BEGIN;
\startpipeline
UPDATE "tickets" SET "severity" = :t_severity, "status" = 'assigned', "assignee_id" = 'op-' || :u, "alert_count" = :t_alert_count, "first_alert_at" = :t_first_alert_at, "last_alert_at" = :t_last_alert_at, "first_responded_at" = :t_first_responded_at, "resolved_at" = NULL, "closed_at" = NULL, "updated_at" = now(), "version" = :nv WHERE (("tickets"."id" = :t_id) AND ("tickets"."version" = :t_version));
INSERT INTO "ticket_state_history" ("ticket_id", "from_status", "to_status", "actor", "reason", "changed_at") VALUES (:t_id, :t_status, 'assigned', 'bench', DEFAULT, now());
INSERT INTO "notification_logs" ("ticket_id", "event_type", "payload", "next_attempt_at", "created_at") VALUES (:t_id, 'status_changed', '{"at": "2026-11-27T14:46:06.188091Z", "data": {"title": "Person detected in restricted zone"}, "number": "TCK-1001001", "status": "open", "version": 1, "severity": "high", "camera_id": 1042, "ticket_id": "01a21d78-806c-72fe-947b-740710d1e6f9", "event_type": "status_changed", "assignee_id": null, "provider_id": "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24"}', now(), now());
\endpipeline
COMMIT;
