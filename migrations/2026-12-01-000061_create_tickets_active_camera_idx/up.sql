-- The active tickets of a camera, for the ingest's look for an inhibiting one (sent with
-- every alert that may be silenced). Partial: only active tickets are in it, a few per
-- camera. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_active_camera_idx
    ON tickets (org_id, camera_id)
    WHERE status IN ('open', 'assigned', 'in_progress', 'on_hold');
