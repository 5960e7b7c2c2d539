DROP INDEX CONCURRENTLY IF EXISTS tickets_auto_resolve_rule_idx;
