-- Validates 000035's constraints: a scan that takes SHARE UPDATE EXCLUSIVE only, so
-- reads and writes go on meanwhile.
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_status_check;
ALTER TABLE tickets VALIDATE CONSTRAINT held_has_hold;
ALTER TABLE tickets VALIDATE CONSTRAINT hold_until_needs_hold;
ALTER TABLE tickets VALIDATE CONSTRAINT held_from_work_in_hand;
ALTER TABLE tickets VALIDATE CONSTRAINT hold_reason_length;
ALTER TABLE tickets VALIDATE CONSTRAINT sla_paused_seconds_not_negative;
ALTER TABLE ticket_state_history VALIDATE CONSTRAINT ticket_state_history_from_status_check;
ALTER TABLE ticket_state_history VALIDATE CONSTRAINT ticket_state_history_to_status_check;
ALTER TABLE notification_logs VALIDATE CONSTRAINT notification_logs_event_type_check;
