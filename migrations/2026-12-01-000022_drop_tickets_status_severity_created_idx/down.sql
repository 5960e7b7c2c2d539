CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_status_severity_created_idx
    ON tickets (status, severity, created_at DESC, id DESC);
