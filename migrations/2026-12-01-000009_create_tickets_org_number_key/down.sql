DROP INDEX CONCURRENTLY IF EXISTS tickets_org_number_key;
