DROP INDEX CONCURRENTLY IF EXISTS tickets_auto_resolved_key_idx;
