-- GET /api/notifications: one organization's events, newest first.
-- See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notification_logs_org_idx ON notification_logs (org_id, id DESC);
