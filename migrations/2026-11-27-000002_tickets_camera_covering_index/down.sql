DROP INDEX CONCURRENTLY IF EXISTS tickets_camera_created_cov_idx;
