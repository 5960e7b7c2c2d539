DROP INDEX CONCURRENTLY IF EXISTS tickets_suppression_window_idx;
