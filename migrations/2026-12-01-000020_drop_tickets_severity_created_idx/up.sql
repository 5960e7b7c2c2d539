-- Replaced by tickets_org_severity_created_idx.
DROP INDEX CONCURRENTLY IF EXISTS tickets_severity_created_idx;
