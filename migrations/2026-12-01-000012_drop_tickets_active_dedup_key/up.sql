-- Replaced by tickets_org_active_dedup_key.
DROP INDEX CONCURRENTLY IF EXISTS tickets_active_dedup_key;
