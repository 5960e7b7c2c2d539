CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_assignee_status_created_idx
    ON tickets (assignee_id, status, created_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
