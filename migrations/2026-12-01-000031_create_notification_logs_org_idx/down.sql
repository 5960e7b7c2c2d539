DROP INDEX CONCURRENTLY IF EXISTS notification_logs_org_idx;
