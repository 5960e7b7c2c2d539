-- A provider's alert id is taken in once per organization: replays find this row.
-- See 000002 for CONCURRENTLY.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ticket_alerts_org_external_id
    ON ticket_alerts (org_id, provider_id, external_id) WHERE external_id IS NOT NULL;
