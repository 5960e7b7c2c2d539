-- `on_hold` is active for deduplication (issue 11): the one-active-ticket-per-key index
-- takes it, built before any ticket can be held (000035 allows the status), so the old
-- and the new index agree on every row while both exist. Restates Status::ACTIVE
-- (crates/persistence/tests/rules.rs). See 000002 for CONCURRENTLY.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_active_key
    ON tickets (org_id, provider_id, dedup_key)
    WHERE status IN ('open', 'assigned', 'in_progress', 'on_hold');
