DELETE FROM ticket_timers WHERE kind = 'auto_resolve';
ALTER TABLE ticket_timers DROP CONSTRAINT ticket_timers_kind_check;
ALTER TABLE ticket_timers ADD CONSTRAINT ticket_timers_kind_check
    CHECK (kind IN ('hold_end', 'sla_warning', 'escalation', 'sla_breach'));
-- The comments the rules wrote go with them; their status changes stay as history.
DELETE FROM ticket_comments WHERE author_id LIKE 'system:auto\_resolve:%';
ALTER TABLE tickets DROP COLUMN auto_resolve;
DROP TABLE auto_resolve_rules;
