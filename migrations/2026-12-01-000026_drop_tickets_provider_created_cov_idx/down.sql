CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_provider_created_cov_idx
    ON tickets (provider_id, created_at DESC, id DESC)
    INCLUDE (status, severity, camera_id, first_responded_at, first_response_due_at, resolved_at, resolution_due_at);
