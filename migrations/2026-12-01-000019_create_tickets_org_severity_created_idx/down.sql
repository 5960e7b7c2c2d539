DROP INDEX CONCURRENTLY IF EXISTS tickets_org_severity_created_idx;
