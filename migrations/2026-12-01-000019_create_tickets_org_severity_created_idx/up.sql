-- See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_severity_created_idx
    ON tickets (org_id, severity, created_at DESC, id DESC);
