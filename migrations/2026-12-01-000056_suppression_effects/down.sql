DROP TABLE dropped_alerts;
-- The previous release knows no release timer: the silent tickets stay silent.
DELETE FROM ticket_timers WHERE kind = 'release';
ALTER TABLE ticket_timers DROP CONSTRAINT ticket_timers_kind_check;
ALTER TABLE ticket_timers ADD CONSTRAINT ticket_timers_kind_check
    CHECK (kind IN ('hold_end', 'sla_warning', 'escalation', 'sla_breach', 'auto_resolve'));
ALTER TABLE tickets DROP CONSTRAINT tickets_suppressed_check;
ALTER TABLE tickets DROP COLUMN suppressed_until;
ALTER TABLE tickets DROP COLUMN suppressed_window_end;
ALTER TABLE tickets DROP COLUMN suppression_window_id;
