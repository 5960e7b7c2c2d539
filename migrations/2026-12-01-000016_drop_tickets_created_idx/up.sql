-- Replaced by tickets_org_created_idx.
DROP INDEX CONCURRENTLY IF EXISTS tickets_created_idx;
