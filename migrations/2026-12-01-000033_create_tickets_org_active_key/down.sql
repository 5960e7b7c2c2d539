DROP INDEX CONCURRENTLY IF EXISTS tickets_org_active_key;
