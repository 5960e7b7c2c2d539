DROP INDEX CONCURRENTLY IF EXISTS tickets_active_assignee_idx;
