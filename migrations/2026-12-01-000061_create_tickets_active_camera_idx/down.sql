DROP INDEX CONCURRENTLY IF EXISTS tickets_active_camera_idx;
