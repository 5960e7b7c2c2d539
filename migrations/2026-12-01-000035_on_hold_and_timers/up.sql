-- on_hold and durable timers (issue 11). Expand only: new nullable columns (or with a
-- constant default: no rewrite), widened CHECKs added NOT VALID (no scan under lock;
-- 000036 validates them), and a new table.

-- The status, wherever statuses are kept.
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
    CHECK (status IN ('open', 'assigned', 'in_progress', 'on_hold', 'resolved', 'closed',
                      'false_positive')) NOT VALID;
ALTER TABLE ticket_state_history DROP CONSTRAINT ticket_state_history_from_status_check;
ALTER TABLE ticket_state_history ADD CONSTRAINT ticket_state_history_from_status_check
    CHECK (from_status IN ('open', 'assigned', 'in_progress', 'on_hold', 'resolved', 'closed',
                           'false_positive')) NOT VALID;
ALTER TABLE ticket_state_history DROP CONSTRAINT ticket_state_history_to_status_check;
ALTER TABLE ticket_state_history ADD CONSTRAINT ticket_state_history_to_status_check
    CHECK (to_status IN ('open', 'assigned', 'in_progress', 'on_hold', 'resolved', 'closed',
                         'false_positive')) NOT VALID;
ALTER TABLE notification_logs DROP CONSTRAINT notification_logs_event_type_check;
ALTER TABLE notification_logs ADD CONSTRAINT notification_logs_event_type_check
    CHECK (event_type IN ('ticket_created', 'status_changed', 'comment_added', 'alert_merged',
                          'sla_breached', 'sla_warning')) NOT VALID;

-- The hold (set exactly while on_hold), the time held that the SLA does not count, and
-- each target's warning: when due (moved by holds like the due time) and when sent.
ALTER TABLE tickets
    ADD COLUMN held_since TIMESTAMPTZ,
    ADD COLUMN hold_until TIMESTAMPTZ,
    ADD COLUMN held_from TEXT,
    ADD COLUMN hold_reason TEXT,
    ADD COLUMN sla_paused_seconds BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN first_response_warn_at TIMESTAMPTZ,
    ADD COLUMN resolution_warn_at TIMESTAMPTZ,
    ADD COLUMN first_response_warned_at TIMESTAMPTZ,
    ADD COLUMN resolution_warned_at TIMESTAMPTZ;
ALTER TABLE tickets ADD CONSTRAINT held_has_hold
    CHECK ((status = 'on_hold') = (held_since IS NOT NULL AND held_from IS NOT NULL
                                   AND hold_reason IS NOT NULL)) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT hold_until_needs_hold
    CHECK (hold_until IS NULL OR held_since IS NOT NULL) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT held_from_work_in_hand
    CHECK (held_from IN ('assigned', 'in_progress')) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT hold_reason_length
    CHECK (char_length(hold_reason) BETWEEN 1 AND 2000) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT sla_paused_seconds_not_negative
    CHECK (sla_paused_seconds >= 0) NOT VALID;

-- Durable timers: what a ticket waits for, one row per kind, due at `due_at`. Workers scan
-- the due index across organizations (as ticket_worker) and fire each timer inside its
-- organization (as ticket_app), under the timer's and the ticket's row locks: once, late
-- if every instance was down, never twice. A timer the ticket no longer needs fires as a
-- no-op and goes.
CREATE TABLE ticket_timers (
    ticket_id  UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('hold_end', 'sla_warning')),
    org_id     UUID NOT NULL REFERENCES organizations (id),
    due_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ticket_id, kind)
);
CREATE INDEX ticket_timers_due_idx ON ticket_timers (due_at);

ALTER TABLE ticket_timers ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_timers FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON ticket_timers TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON ticket_timers TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
CREATE POLICY every_organization ON ticket_timers FOR SELECT TO ticket_worker USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON ticket_timers TO ticket_app;
GRANT SELECT ON ticket_timers TO ticket_worker;
