DROP INDEX CONCURRENTLY IF EXISTS notification_logs_sent_idx;
