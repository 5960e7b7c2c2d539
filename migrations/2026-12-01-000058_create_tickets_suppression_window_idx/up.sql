-- The silent tickets of a window, for its cancel to release them at once. Partial: only
-- tickets a window keeps silent are in it. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_suppression_window_idx
    ON tickets (org_id, suppression_window_id)
    WHERE suppression_window_id IS NOT NULL;
