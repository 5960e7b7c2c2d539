-- Validates 000039's constraints: a scan that takes SHARE UPDATE EXCLUSIVE only, so
-- reads and writes go on meanwhile.
ALTER TABLE ticket_timers VALIDATE CONSTRAINT ticket_timers_kind_check;
ALTER TABLE notification_logs VALIDATE CONSTRAINT notification_logs_event_type_check;
