CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_camera_created_idx
    ON tickets (camera_id, created_at DESC, id DESC);
