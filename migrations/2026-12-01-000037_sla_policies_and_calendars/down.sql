ALTER TABLE tickets DROP COLUMN sla_calendar, DROP COLUMN sla_policy_id;
DROP TABLE sla_policies;
DROP TABLE business_calendars;
