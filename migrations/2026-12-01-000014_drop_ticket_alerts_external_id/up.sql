-- Replaced by ticket_alerts_org_external_id.
DROP INDEX CONCURRENTLY IF EXISTS ticket_alerts_external_id;
