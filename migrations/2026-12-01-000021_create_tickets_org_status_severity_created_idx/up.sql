-- See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_status_severity_created_idx
    ON tickets (org_id, status, severity, created_at DESC, id DESC);
