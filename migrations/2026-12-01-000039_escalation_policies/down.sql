-- Comments by escalation steps: the code before this migration reads no system author.
DELETE FROM ticket_comments WHERE author_id LIKE 'system:%';
DELETE FROM ticket_timers WHERE kind = 'escalation';
ALTER TABLE ticket_timers DROP CONSTRAINT ticket_timers_kind_check;
ALTER TABLE ticket_timers ADD CONSTRAINT ticket_timers_kind_check
    CHECK (kind IN ('hold_end', 'sla_warning'));
DELETE FROM notification_logs WHERE event_type = 'ticket_escalated';
ALTER TABLE notification_logs DROP CONSTRAINT notification_logs_event_type_check;
ALTER TABLE notification_logs ADD CONSTRAINT notification_logs_event_type_check
    CHECK (event_type IN ('ticket_created', 'status_changed', 'comment_added', 'alert_merged',
                          'sla_breached', 'sla_warning'));
ALTER TABLE tickets DROP COLUMN escalation;
DROP TABLE escalation_policies;
