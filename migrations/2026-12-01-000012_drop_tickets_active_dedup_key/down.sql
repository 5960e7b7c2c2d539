CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tickets_active_dedup_key ON tickets (provider_id, dedup_key)
    WHERE status IN ('open', 'assigned', 'in_progress');
