CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_created_idx ON tickets (created_at DESC, id DESC);
