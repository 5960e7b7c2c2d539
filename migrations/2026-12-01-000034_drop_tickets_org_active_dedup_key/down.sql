CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_active_dedup_key
    ON tickets (org_id, provider_id, dedup_key)
    WHERE status IN ('open', 'assigned', 'in_progress');
