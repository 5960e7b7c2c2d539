-- Escalation policies (issue 11). Expand only: a new table, a nullable column on tickets
-- (no rewrite), and widened CHECKs added NOT VALID (no scan under lock; 000040 validates
-- them).

-- Policies apply in (position, created_at, id) order, first match; archived ones never.
-- The steps are one JSON document, read and validated by the domain (Steps::parse).
CREATE TABLE escalation_policies (
    org_id      UUID NOT NULL REFERENCES organizations (id),
    id          UUID NOT NULL,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    position    INTEGER NOT NULL,
    filter      JSONB,
    steps       JSONB NOT NULL CHECK (jsonb_typeof(steps) = 'array'),
    repeat      SMALLINT NOT NULL DEFAULT 0 CHECK (repeat BETWEEN 0 AND 5),
    version     BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    archived_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX escalation_policies_order_idx ON escalation_policies (org_id, position, created_at, id)
    WHERE archived_at IS NULL;

ALTER TABLE escalation_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE escalation_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON escalation_policies TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON escalation_policies TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON escalation_policies TO ticket_app;

-- The chain copied onto a ticket (the policy's id and steps as they were, when it
-- started, how far it has run). No foreign key, as for sla_policy_id: the chain is the
-- ticket's own.
ALTER TABLE tickets ADD COLUMN escalation JSONB;

-- The new timer kind and the new events.
ALTER TABLE ticket_timers DROP CONSTRAINT ticket_timers_kind_check;
ALTER TABLE ticket_timers ADD CONSTRAINT ticket_timers_kind_check
    CHECK (kind IN ('hold_end', 'sla_warning', 'escalation')) NOT VALID;
ALTER TABLE notification_logs DROP CONSTRAINT notification_logs_event_type_check;
ALTER TABLE notification_logs ADD CONSTRAINT notification_logs_event_type_check
    CHECK (event_type IN ('ticket_created', 'status_changed', 'comment_added', 'alert_merged',
                          'sla_breached', 'sla_warning', 'ticket_escalated')) NOT VALID;
