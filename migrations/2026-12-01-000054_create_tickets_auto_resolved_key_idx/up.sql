-- The ticket an alert may reopen (flapping): the incident's latest automatic resolution.
-- Partial: only tickets an auto-resolve rule resolved are in it. See 000002 for
-- CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_auto_resolved_key_idx
    ON tickets (org_id, provider_id, dedup_key, resolved_at DESC)
    WHERE status = 'resolved' AND resolved_by LIKE 'system:auto\_resolve:%';
