-- See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_assignee_status_created_idx
    ON tickets (org_id, assignee_id, status, created_at DESC, id DESC) WHERE assignee_id IS NOT NULL;
