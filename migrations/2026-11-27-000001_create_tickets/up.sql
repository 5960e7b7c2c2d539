-- Tickets made from analytics alerts, their alerts, comments, state history and the
-- notification outbox. Enumerations are TEXT with CHECK constraints: adding a value is an
-- expand-only change (drop and re-add the CHECK), never a type rewrite.

CREATE SEQUENCE ticket_number_seq START WITH 1001;

CREATE TABLE tickets (
    id                     UUID PRIMARY KEY,
    number                 BIGINT NOT NULL DEFAULT nextval('ticket_number_seq') UNIQUE,
    title                  TEXT NOT NULL CHECK (char_length(btrim(title)) BETWEEN 1 AND 200),
    description            TEXT CHECK (char_length(description) <= 10000),
    severity               TEXT NOT NULL
                           CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    status                 TEXT NOT NULL
                           CHECK (status IN ('open', 'assigned', 'in_progress', 'resolved',
                                             'closed', 'false_positive')),
    camera_id              BIGINT NOT NULL CHECK (camera_id >= 0),
    provider_id            UUID NOT NULL,
    alert_type             TEXT CHECK (char_length(alert_type) BETWEEN 1 AND 100),
    alert_data             JSONB NOT NULL CHECK (jsonb_typeof(alert_data) = 'object'),
    dedup_key              TEXT NOT NULL,
    occurred_at            TIMESTAMPTZ NOT NULL,
    assignee_id            TEXT CHECK (char_length(assignee_id) BETWEEN 1 AND 255),
    alert_count            INTEGER NOT NULL DEFAULT 1 CHECK (alert_count >= 1),
    first_alert_at         TIMESTAMPTZ NOT NULL,
    last_alert_at          TIMESTAMPTZ NOT NULL,
    first_response_due_at  TIMESTAMPTZ NOT NULL,
    first_responded_at     TIMESTAMPTZ,
    resolution_due_at      TIMESTAMPTZ NOT NULL,
    resolved_at            TIMESTAMPTZ,
    closed_at              TIMESTAMPTZ,
    -- When the sla_breached event of each target was written (once per target per ticket).
    first_response_breach_notified_at  TIMESTAMPTZ,
    resolution_breach_notified_at      TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    version                BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT assigned_has_assignee CHECK (status <> 'assigned' OR assignee_id IS NOT NULL),
    CONSTRAINT closed_has_closed_at CHECK (status <> 'closed' OR closed_at IS NOT NULL),
    CONSTRAINT resolution_has_resolved_at
        CHECK (status NOT IN ('resolved', 'closed', 'false_positive') OR resolved_at IS NOT NULL)
);

-- The list is newest first with keyset paging on (created_at, id); each filter has an
-- index that serves both the filter and that order.
CREATE INDEX tickets_created_idx ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_status_created_idx ON tickets (status, created_at DESC, id DESC);
CREATE INDEX tickets_severity_created_idx ON tickets (severity, created_at DESC, id DESC);
CREATE INDEX tickets_camera_created_idx ON tickets (camera_id, created_at DESC, id DESC);
CREATE INDEX tickets_provider_created_idx ON tickets (provider_id, created_at DESC, id DESC);
CREATE INDEX tickets_assignee_created_idx ON tickets (assignee_id, created_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
-- An operator's queue (assignee and one or several statuses): one ordered range per status.
CREATE INDEX tickets_assignee_status_created_idx
    ON tickets (assignee_id, status, created_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
-- Targets that may still need an sla_breached event, by due time: what the breach worker
-- scans. A target met in time, or already notified, leaves the index.
CREATE INDEX tickets_first_response_watch_idx ON tickets (first_response_due_at)
    WHERE first_response_breach_notified_at IS NULL
      AND (first_responded_at IS NULL OR first_responded_at > first_response_due_at);
CREATE INDEX tickets_resolution_watch_idx ON tickets (resolution_due_at)
    WHERE resolution_breach_notified_at IS NULL
      AND (resolved_at IS NULL OR resolved_at > resolution_due_at);
-- At most one active ticket per provider and dedup key: concurrent identical alerts
-- cannot open two tickets, whatever instance they reach.
CREATE UNIQUE INDEX tickets_active_dedup_key ON tickets (provider_id, dedup_key)
    WHERE status IN ('open', 'assigned', 'in_progress');

CREATE TABLE ticket_alerts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id    UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    provider_id  UUID NOT NULL,
    external_id  TEXT CHECK (char_length(external_id) BETWEEN 1 AND 255),
    title        TEXT NOT NULL,
    severity     TEXT NOT NULL
                 CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    alert_type   TEXT,
    payload      JSONB NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    occurred_at  TIMESTAMPTZ NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_alerts_ticket_idx ON ticket_alerts (ticket_id, id DESC);
-- A provider's alert id is taken in once: replays find this row.
CREATE UNIQUE INDEX ticket_alerts_external_id ON ticket_alerts (provider_id, external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE ticket_comments (
    id          UUID PRIMARY KEY,
    ticket_id   UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id   TEXT NOT NULL CHECK (char_length(author_id) BETWEEN 1 AND 255),
    body        TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    visibility  TEXT NOT NULL DEFAULT 'internal' CHECK (visibility IN ('internal', 'external')),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_comments_ticket_idx ON ticket_comments (ticket_id, created_at, id);

CREATE TABLE ticket_state_history (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id    UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    from_status  TEXT CHECK (from_status IN ('open', 'assigned', 'in_progress', 'resolved',
                                             'closed', 'false_positive')),
    to_status    TEXT NOT NULL
                 CHECK (to_status IN ('open', 'assigned', 'in_progress', 'resolved',
                                      'closed', 'false_positive')),
    actor        TEXT,
    reason       TEXT,
    changed_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_state_history_ticket_idx ON ticket_state_history (ticket_id, id);

-- The outbox: one row per ticket event, written in the transaction of the change.
CREATE TABLE notification_logs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id        UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL
                     CHECK (event_type IN ('ticket_created', 'status_changed', 'comment_added',
                                           'alert_merged', 'sla_breached')),
    payload          JSONB NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error       TEXT,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ
);
-- What dispatchers claim: pending events by due time, and the oldest pending per ticket.
CREATE INDEX notification_logs_pending_idx ON notification_logs (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX notification_logs_pending_ticket_idx ON notification_logs (ticket_id, id)
    WHERE status = 'pending';
CREATE INDEX notification_logs_ticket_idx ON notification_logs (ticket_id, id);
