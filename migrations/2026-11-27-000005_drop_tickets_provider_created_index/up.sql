-- Superseded by tickets_provider_created_cov_idx (000004), which has the same key.
DROP INDEX CONCURRENTLY IF EXISTS tickets_provider_created_idx;
