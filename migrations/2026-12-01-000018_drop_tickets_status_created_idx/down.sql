CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_status_created_idx ON tickets (status, created_at DESC, id DESC);
