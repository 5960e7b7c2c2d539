DROP INDEX CONCURRENTLY IF EXISTS tickets_sla_policy_idx;
