DROP INDEX CONCURRENTLY IF EXISTS tickets_escalation_policy_idx;
