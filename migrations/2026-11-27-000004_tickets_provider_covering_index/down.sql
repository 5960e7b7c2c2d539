DROP INDEX CONCURRENTLY IF EXISTS tickets_provider_created_cov_idx;
