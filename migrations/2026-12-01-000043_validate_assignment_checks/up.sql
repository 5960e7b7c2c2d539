-- Validates 000042's widened event CHECK (SHARE UPDATE EXCLUSIVE only).
ALTER TABLE notification_logs VALIDATE CONSTRAINT notification_logs_event_type_check;
