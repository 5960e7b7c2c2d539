CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_provider_created_idx
    ON tickets (provider_id, created_at DESC, id DESC);
