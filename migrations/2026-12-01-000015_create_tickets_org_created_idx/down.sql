DROP INDEX CONCURRENTLY IF EXISTS tickets_org_created_idx;
