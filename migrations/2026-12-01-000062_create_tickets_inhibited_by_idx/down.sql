DROP INDEX CONCURRENTLY IF EXISTS tickets_inhibited_by_idx;
