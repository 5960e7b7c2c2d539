-- Automatic assignment (issue 11): operator groups, assignment rules and operators'
-- availability. Expand only: three new tables.

-- A group's members are one JSON list [{user_id, capacity}] in order (read by the
-- domain, members_from_json); round robin's next turn is kept with it, and the row's
-- lock is what concurrent creates on the group take turns on.
CREATE TABLE operator_groups (
    org_id      UUID NOT NULL REFERENCES organizations (id),
    id          UUID NOT NULL,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    members     JSONB NOT NULL CHECK (jsonb_typeof(members) = 'array'),
    next_turn   BIGINT NOT NULL DEFAULT 0 CHECK (next_turn >= 0),
    version     BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    archived_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- Rules apply in (position, created_at, id) order, first match; archived ones never. A
-- fixed rule names a user, the others a group of the same organization.
CREATE TABLE assignment_rules (
    org_id      UUID NOT NULL REFERENCES organizations (id),
    id          UUID NOT NULL,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    position    INTEGER NOT NULL,
    filter      JSONB,
    strategy    TEXT NOT NULL CHECK (strategy IN ('fixed', 'round_robin', 'least_loaded')),
    user_id     TEXT CHECK (char_length(user_id) BETWEEN 1 AND 255),
    group_id    UUID,
    version     BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    archived_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, group_id) REFERENCES operator_groups (org_id, id),
    CONSTRAINT assignment_rule_target CHECK (
        (strategy = 'fixed') = (user_id IS NOT NULL AND group_id IS NULL)
        AND (strategy <> 'fixed') = (group_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX assignment_rules_order_idx ON assignment_rules (org_id, position, created_at, id)
    WHERE archived_at IS NULL;
CREATE INDEX assignment_rules_group_idx ON assignment_rules (org_id, group_id)
    WHERE group_id IS NOT NULL;

-- Whether an operator takes automatic assignments; one never recorded does.
CREATE TABLE operators (
    org_id     UUID NOT NULL REFERENCES organizations (id),
    user_id    TEXT NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 255),
    available  BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

ALTER TABLE operator_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE operator_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON operator_groups TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON operator_groups TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON operator_groups TO ticket_app;

ALTER TABLE assignment_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE assignment_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON assignment_rules TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON assignment_rules TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON assignment_rules TO ticket_app;

ALTER TABLE operators ENABLE ROW LEVEL SECURITY;
ALTER TABLE operators FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON operators TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON operators TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON operators TO ticket_app;

-- The new event.
ALTER TABLE notification_logs DROP CONSTRAINT notification_logs_event_type_check;
ALTER TABLE notification_logs ADD CONSTRAINT notification_logs_event_type_check
    CHECK (event_type IN ('ticket_created', 'status_changed', 'comment_added', 'alert_merged',
                          'sla_breached', 'sla_warning', 'ticket_escalated',
                          'assignment_failed')) NOT VALID;
