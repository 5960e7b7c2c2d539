-- SLA policies and business calendars (issue 11). Expand only: two new tables and two
-- nullable columns on tickets (no rewrite). 000038 builds the tickets index CONCURRENTLY.

-- A calendar's weekly hours, time zone and holidays are one JSON document, read and
-- validated by the domain (BusinessCalendar::parse); the store keeps it as written.
CREATE TABLE business_calendars (
    org_id      UUID NOT NULL REFERENCES organizations (id),
    id          UUID NOT NULL,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    definition  JSONB NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    version     BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    archived_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- Policies apply in (position, created_at, id) order, first match; archived ones never.
-- The calendar is referenced within the organization (composite key), so a policy can
-- never count on another organization's calendar.
CREATE TABLE sla_policies (
    org_id       UUID NOT NULL REFERENCES organizations (id),
    id           UUID NOT NULL,
    name         TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    position     INTEGER NOT NULL,
    filter       JSONB,
    targets      JSONB NOT NULL CHECK (jsonb_typeof(targets) = 'object'),
    calendar_id  UUID,
    warn_percent SMALLINT CHECK (warn_percent BETWEEN 1 AND 99),
    version      BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    archived_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, calendar_id) REFERENCES business_calendars (org_id, id)
);
CREATE INDEX sla_policies_order_idx ON sla_policies (org_id, position, created_at, id)
    WHERE archived_at IS NULL;
CREATE INDEX sla_policies_calendar_idx ON sla_policies (org_id, calendar_id)
    WHERE calendar_id IS NOT NULL;

-- The policy a ticket was created under (information, and what keeps a deleted policy
-- archived), and a copy of its calendar as it was then: holds are measured on it, and
-- later edits of the calendar do not reach tickets already made. No foreign key: the
-- ticket's due times are its own, and a policy removed while an alert was being taken
-- in leaves only a name that points nowhere.
ALTER TABLE tickets
    ADD COLUMN sla_policy_id UUID,
    ADD COLUMN sla_calendar JSONB;

ALTER TABLE business_calendars ENABLE ROW LEVEL SECURITY;
ALTER TABLE business_calendars FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON business_calendars TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON business_calendars TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON business_calendars TO ticket_app;

ALTER TABLE sla_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE sla_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON sla_policies TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON sla_policies TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON sla_policies TO ticket_app;
