-- Superseded by tickets_camera_created_cov_idx (000002), which has the same key.
DROP INDEX CONCURRENTLY IF EXISTS tickets_camera_created_idx;
