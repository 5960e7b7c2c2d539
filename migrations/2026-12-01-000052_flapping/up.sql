-- Flapping and who resolved (issue 12). Expand only: a constant default and nullable
-- columns are catalog changes (no rewrite); the CHECK is added NOT VALID (000053
-- validates it).

-- How often a ticket was reopened, by a user or by a flapping alert.
ALTER TABLE tickets ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD CONSTRAINT tickets_reopen_count_check CHECK (reopen_count >= 0)
    NOT VALID;
-- Who moved the ticket to a resolution status (a user id or system:<kind>:<rule>); NULL
-- on tickets resolved before this column. Read only while the status is a resolution: no
-- CHECK ties it to the status, because the previous release, during a rolling deploy,
-- reopens tickets without clearing it (a CHECK would refuse those reopens).
ALTER TABLE tickets ADD COLUMN resolved_by TEXT;
-- Set once a ticket flaps: {since, event_interval, notified_at}.
ALTER TABLE tickets ADD COLUMN flapping JSONB;
