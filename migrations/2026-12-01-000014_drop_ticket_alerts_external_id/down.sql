CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ticket_alerts_external_id ON ticket_alerts (provider_id, external_id)
    WHERE external_id IS NOT NULL;
