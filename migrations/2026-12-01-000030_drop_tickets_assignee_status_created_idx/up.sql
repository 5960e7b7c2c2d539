-- Replaced by tickets_org_assignee_status_created_idx.
DROP INDEX CONCURRENTLY IF EXISTS tickets_assignee_status_created_idx;
