-- Flapping and who resolved (issue 12). Expand only: a constant default and nullable
-- columns are catalog changes (no rewrite); the CHECKs are added NOT VALID (000053
-- validates them).

-- How often a ticket was reopened, by a user or by a flapping alert.
ALTER TABLE tickets ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD CONSTRAINT tickets_reopen_count_check CHECK (reopen_count >= 0)
    NOT VALID;
-- Who moved the ticket to a resolution status (a user id or system:<kind>:<rule>), while
-- it is in one; NULL on tickets resolved before this column.
ALTER TABLE tickets ADD COLUMN resolved_by TEXT;
ALTER TABLE tickets ADD CONSTRAINT tickets_resolved_by_check
    CHECK (resolved_by IS NULL OR status IN ('resolved', 'closed', 'false_positive')) NOT VALID;
-- Set once a ticket flaps: {since, event_interval, notified_at}.
ALTER TABLE tickets ADD COLUMN flapping JSONB;
