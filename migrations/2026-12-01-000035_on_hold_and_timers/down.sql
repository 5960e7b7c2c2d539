DROP TABLE ticket_timers;
ALTER TABLE tickets
    DROP CONSTRAINT held_has_hold,
    DROP CONSTRAINT hold_until_needs_hold,
    DROP CONSTRAINT held_from_work_in_hand,
    DROP CONSTRAINT hold_reason_length,
    DROP CONSTRAINT sla_paused_seconds_not_negative,
    DROP COLUMN held_since,
    DROP COLUMN hold_until,
    DROP COLUMN held_from,
    DROP COLUMN hold_reason,
    DROP COLUMN sla_paused_seconds,
    DROP COLUMN first_response_warn_at,
    DROP COLUMN resolution_warn_at,
    DROP COLUMN first_response_warned_at,
    DROP COLUMN resolution_warned_at;
-- Fails while a ticket is on hold or a warning is kept: resolve those first.
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
    CHECK (status IN ('open', 'assigned', 'in_progress', 'resolved', 'closed',
                      'false_positive'));
ALTER TABLE ticket_state_history DROP CONSTRAINT ticket_state_history_from_status_check;
ALTER TABLE ticket_state_history ADD CONSTRAINT ticket_state_history_from_status_check
    CHECK (from_status IN ('open', 'assigned', 'in_progress', 'resolved', 'closed',
                           'false_positive'));
ALTER TABLE ticket_state_history DROP CONSTRAINT ticket_state_history_to_status_check;
ALTER TABLE ticket_state_history ADD CONSTRAINT ticket_state_history_to_status_check
    CHECK (to_status IN ('open', 'assigned', 'in_progress', 'resolved', 'closed',
                         'false_positive'));
ALTER TABLE notification_logs DROP CONSTRAINT notification_logs_event_type_check;
ALTER TABLE notification_logs ADD CONSTRAINT notification_logs_event_type_check
    CHECK (event_type IN ('ticket_created', 'status_changed', 'comment_added', 'alert_merged',
                          'sla_breached'));
