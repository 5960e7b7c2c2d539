-- Contract: numbers are unique per organization now (tickets_org_number_key).
ALTER TABLE tickets DROP CONSTRAINT IF EXISTS tickets_number_key;
