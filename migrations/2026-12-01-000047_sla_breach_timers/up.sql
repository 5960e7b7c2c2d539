-- SLA breaches on the timer table (issue 11): a ticket keeps an `sla_breach` timer, due
-- just after its earliest target not yet met nor recorded, so its `sla_breached` goes out
-- within a timer round instead of the breach monitor's interval. Expand only: tickets made
-- before this (or by older instances during a rollout) have no such timer, and the breach
-- monitor, which stays as the backstop, records theirs. NOT VALID: no scan under the
-- ACCESS EXCLUSIVE lock; 000048 validates.
ALTER TABLE ticket_timers DROP CONSTRAINT ticket_timers_kind_check;
ALTER TABLE ticket_timers ADD CONSTRAINT ticket_timers_kind_check
    CHECK (kind IN ('hold_end', 'sla_warning', 'escalation', 'sla_breach')) NOT VALID;
