-- What suppression windows do to alerts (issue 12). Expand only: nullable columns on
-- tickets (catalog changes, no rewrite), CHECKs added NOT VALID (000057 validates), and a
-- new table.

-- A ticket a `suppress` window keeps silent: the window, the end of the occurrence that
-- made it (its clocks were set to start then) and when it is released (that end, or the
-- window's cancel). All three are cleared at the release.
ALTER TABLE tickets ADD COLUMN suppression_window_id UUID;
ALTER TABLE tickets ADD COLUMN suppressed_window_end TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN suppressed_until TIMESTAMPTZ;
ALTER TABLE tickets ADD CONSTRAINT tickets_suppressed_check CHECK (
    (suppression_window_id IS NULL) = (suppressed_window_end IS NULL)
    AND (suppression_window_id IS NULL) = (suppressed_until IS NULL)
    AND suppressed_until <= suppressed_window_end
) NOT VALID;

ALTER TABLE ticket_timers DROP CONSTRAINT ticket_timers_kind_check;
ALTER TABLE ticket_timers ADD CONSTRAINT ticket_timers_kind_check
    CHECK (kind IN ('hold_end', 'sla_warning', 'escalation', 'sla_breach', 'auto_resolve',
                    'release'))
    NOT VALID;

-- Alerts a `drop` window took: kept with the window, no ticket. A provider's alert id is
-- taken in once across this table and ticket_alerts: the ingest looks in both (the unique
-- index here makes concurrent drops of one id fail and retry as a replay).
CREATE TABLE dropped_alerts (
    org_id       UUID NOT NULL REFERENCES organizations (id),
    id           BIGINT GENERATED ALWAYS AS IDENTITY,
    window_id    UUID NOT NULL,
    provider_id  UUID NOT NULL,
    external_id  TEXT CHECK (char_length(external_id) BETWEEN 1 AND 255),
    camera_id    BIGINT NOT NULL,
    title        TEXT NOT NULL,
    severity     TEXT NOT NULL
                 CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    alert_type   TEXT,
    payload      JSONB NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    occurred_at  TIMESTAMPTZ NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, window_id) REFERENCES suppression_windows (org_id, id)
);
CREATE UNIQUE INDEX dropped_alerts_external_id ON dropped_alerts (org_id, provider_id, external_id)
    WHERE external_id IS NOT NULL;
-- A window's alerts, newest first.
CREATE INDEX dropped_alerts_window_idx ON dropped_alerts (org_id, window_id, id DESC);

ALTER TABLE dropped_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE dropped_alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON dropped_alerts TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON dropped_alerts TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON dropped_alerts TO ticket_app;
