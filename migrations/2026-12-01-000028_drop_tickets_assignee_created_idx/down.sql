CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_assignee_created_idx ON tickets (assignee_id, created_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
