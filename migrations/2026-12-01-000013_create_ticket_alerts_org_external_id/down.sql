DROP INDEX CONCURRENTLY IF EXISTS ticket_alerts_org_external_id;
