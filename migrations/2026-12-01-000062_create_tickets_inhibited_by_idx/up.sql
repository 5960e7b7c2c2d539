-- The tickets an inhibiting ticket keeps silent, for its end to release them. Partial:
-- only silenced tickets are in it. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_inhibited_by_idx
    ON tickets (org_id, inhibited_by)
    WHERE inhibited_by IS NOT NULL;
