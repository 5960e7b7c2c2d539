-- Replaced by tickets_org_provider_created_cov_idx.
DROP INDEX CONCURRENTLY IF EXISTS tickets_provider_created_cov_idx;
