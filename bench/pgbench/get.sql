-- pgbench script: the SQL the service runs for GET /api/tickets/TCK-{n} (details)
-- (crates/persistence/src/repo.rs: details: the ticket by number, its comments and history by sub-select, one pipeline), statement for statement, with diesel's
-- quoting. Values the service binds as parameters are pgbench variables (sent as
-- parameters with -M prepared, as diesel-async does); values it computes client-side
-- (ids, times, the event payload) are computed here by SQL or are literals of the same size.
-- Row-level security: bench/run.sh connects pgbench as ticket_app (PGOPTIONS role, once per
-- connection, as the service's pool SETs ROLE once per connection), and every transaction
-- names its organization (:org, the big organization of bench.params) with set_config in
-- the pipeline of its first statement, as repo.rs `set_org`.
-- Variables from bench/run.sh (-D): org, max_number (the organization's last number), one.
\set n random(1, :max_number)
BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY;
\startpipeline
SELECT set_config('app.org_id', :org, true);
SELECT "tickets"."id", "tickets"."org_id", "tickets"."number", "tickets"."title", "tickets"."description", "tickets"."severity", "tickets"."status", "tickets"."camera_id", "tickets"."provider_id", "tickets"."alert_type", "tickets"."alert_data", "tickets"."dedup_key", "tickets"."occurred_at", "tickets"."assignee_id", "tickets"."alert_count", "tickets"."first_alert_at", "tickets"."last_alert_at", "tickets"."first_response_due_at", "tickets"."first_responded_at", "tickets"."resolution_due_at", "tickets"."resolved_at", "tickets"."closed_at", "tickets"."created_at", "tickets"."updated_at", "tickets"."version" FROM "tickets" WHERE (("tickets"."org_id" = :org) AND ("tickets"."number" = :n)) LIMIT :one;
SELECT "ticket_comments"."id", "ticket_comments"."org_id", "ticket_comments"."ticket_id", "ticket_comments"."author_id", "ticket_comments"."body", "ticket_comments"."visibility", "ticket_comments"."created_at" FROM "ticket_comments" WHERE ("ticket_comments"."ticket_id" IN (SELECT "tickets"."id" FROM "tickets" WHERE (("tickets"."org_id" = :org) AND ("tickets"."number" = :n)))) ORDER BY "ticket_comments"."created_at", "ticket_comments"."id";
SELECT "ticket_state_history"."ticket_id", "ticket_state_history"."from_status", "ticket_state_history"."to_status", "ticket_state_history"."actor", "ticket_state_history"."reason", "ticket_state_history"."changed_at" FROM "ticket_state_history" WHERE ("ticket_state_history"."ticket_id" IN (SELECT "tickets"."id" FROM "tickets" WHERE (("tickets"."org_id" = :org) AND ("tickets"."number" = :n)))) ORDER BY "ticket_state_history"."id";
\endpipeline
COMMIT;
