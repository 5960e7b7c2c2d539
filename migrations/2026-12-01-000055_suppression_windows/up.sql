-- Suppression windows (issue 12). Expand only: a new table.
--
-- A window is never edited, only cancelled: `cancelled_at` ends it early. Its occurrences
-- (once, or weekly by `rrule` in `time_zone`) are computed by the service
-- (ticket_domain::suppression), so the rule lives in one place.
CREATE TABLE suppression_windows (
    org_id           UUID NOT NULL REFERENCES organizations (id),
    id               UUID NOT NULL,
    reason           TEXT NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    filter           JSONB,
    mode             TEXT NOT NULL CHECK (mode IN ('drop', 'suppress', 'collect')),
    starts_at        TIMESTAMPTZ NOT NULL,
    duration_seconds BIGINT NOT NULL CHECK (duration_seconds BETWEEN 1 AND 31622400),
    rrule            TEXT,
    time_zone        TEXT,
    created_by       TEXT NOT NULL,
    cancelled_at     TIMESTAMPTZ,
    version          BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id),
    CONSTRAINT suppression_window_recurrence CHECK ((rrule IS NULL) = (time_zone IS NULL))
);
-- The windows that may still apply, for the rules cache.
CREATE INDEX suppression_windows_live_idx ON suppression_windows (org_id, created_at)
    WHERE cancelled_at IS NULL;

ALTER TABLE suppression_windows ENABLE ROW LEVEL SECURITY;
ALTER TABLE suppression_windows FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON suppression_windows TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON suppression_windows TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON suppression_windows TO ticket_app;
