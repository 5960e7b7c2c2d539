DELETE FROM notification_logs WHERE event_type = 'assignment_failed';
ALTER TABLE notification_logs DROP CONSTRAINT notification_logs_event_type_check;
ALTER TABLE notification_logs ADD CONSTRAINT notification_logs_event_type_check
    CHECK (event_type IN ('ticket_created', 'status_changed', 'comment_added', 'alert_merged',
                          'sla_breached', 'sla_warning', 'ticket_escalated'));
DROP TABLE operators;
DROP TABLE assignment_rules;
DROP TABLE operator_groups;
