-- At most one active ticket per organization, provider and dedup key: two organizations
-- may use the same key. Restates Status::ACTIVE (crates/persistence/tests/rules.rs).
-- See 000002 for CONCURRENTLY.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_active_dedup_key
    ON tickets (org_id, provider_id, dedup_key)
    WHERE status IN ('open', 'assigned', 'in_progress');
