-- Numbers are unique per organization (each counts from 1); replaces the global
-- UNIQUE (number), dropped in the next migration. See 000002 for CONCURRENTLY.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tickets_org_number_key ON tickets (org_id, number);
