-- Replaced by tickets_org_status_created_idx.
DROP INDEX CONCURRENTLY IF EXISTS tickets_status_created_idx;
