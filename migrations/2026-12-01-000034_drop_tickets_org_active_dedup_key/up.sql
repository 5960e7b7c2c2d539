-- Replaced by tickets_org_active_key.
DROP INDEX CONCURRENTLY IF EXISTS tickets_org_active_dedup_key;
