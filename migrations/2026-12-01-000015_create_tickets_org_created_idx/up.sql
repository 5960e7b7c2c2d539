-- Every list is one organization's: the organization leads each list index.
-- See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_created_idx ON tickets (org_id, created_at DESC, id DESC);
