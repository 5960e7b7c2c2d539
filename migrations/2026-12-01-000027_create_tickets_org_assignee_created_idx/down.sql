DROP INDEX CONCURRENTLY IF EXISTS tickets_org_assignee_created_idx;
