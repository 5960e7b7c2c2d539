-- Replaced by tickets_org_camera_created_cov_idx.
DROP INDEX CONCURRENTLY IF EXISTS tickets_camera_created_cov_idx;
