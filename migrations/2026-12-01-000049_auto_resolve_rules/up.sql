-- Auto-resolve rules (issue 12). Expand only: a new table, a nullable column on tickets
-- (no rewrite), and the timer kind CHECK widened NOT VALID (000050 validates).

-- Rules apply in (position, created_at, id) order, first match; archived ones never. A
-- rule acts after a quiet period, on end events, or both.
CREATE TABLE auto_resolve_rules (
    org_id            UUID NOT NULL REFERENCES organizations (id),
    id                UUID NOT NULL,
    name              TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    position          INTEGER NOT NULL,
    filter            JSONB,
    quiet_seconds     BIGINT CHECK (quiet_seconds BETWEEN 1 AND 31622400),
    end_event         BOOLEAN NOT NULL,
    target_status     TEXT NOT NULL CHECK (target_status IN ('resolved', 'closed')),
    only_if_untouched BOOLEAN NOT NULL,
    version           BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    archived_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id),
    CONSTRAINT auto_resolve_rule_acts CHECK (quiet_seconds IS NOT NULL OR end_event)
);
CREATE INDEX auto_resolve_rules_order_idx ON auto_resolve_rules (org_id, position, created_at, id)
    WHERE archived_at IS NULL;

ALTER TABLE auto_resolve_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE auto_resolve_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON auto_resolve_rules TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON auto_resolve_rules TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON auto_resolve_rules TO ticket_app;

-- The rule copied onto a ticket (what it does, as it was, and whether it declined). No
-- foreign key: the copy is the ticket's own.
ALTER TABLE tickets ADD COLUMN auto_resolve JSONB;

ALTER TABLE ticket_timers DROP CONSTRAINT ticket_timers_kind_check;
ALTER TABLE ticket_timers ADD CONSTRAINT ticket_timers_kind_check
    CHECK (kind IN ('hold_end', 'sla_warning', 'escalation', 'sla_breach', 'auto_resolve'))
    NOT VALID;
