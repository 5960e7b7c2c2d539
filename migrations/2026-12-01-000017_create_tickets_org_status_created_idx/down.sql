DROP INDEX CONCURRENTLY IF EXISTS tickets_org_status_created_idx;
