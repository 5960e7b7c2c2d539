CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_severity_created_idx ON tickets (severity, created_at DESC, id DESC);
