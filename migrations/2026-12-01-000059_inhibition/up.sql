-- Offline-camera inhibition (issue 12). Expand only: nullable columns on tickets (catalog
-- changes, no rewrite) and a CHECK added NOT VALID (000060 validates).

-- A ticket an active camera_offline/tampering ticket of its camera keeps silent: that
-- ticket, and what its end does to this one (release or drop). Cleared at the release.
ALTER TABLE tickets ADD COLUMN inhibited_by UUID;
ALTER TABLE tickets ADD COLUMN inhibited_on_end TEXT;
ALTER TABLE tickets ADD CONSTRAINT tickets_inhibited_on_end_check
    CHECK (inhibited_on_end IN ('release', 'drop')) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT tickets_inhibited_check CHECK (
    (inhibited_by IS NULL) = (inhibited_on_end IS NULL)
    AND (inhibited_by IS NULL OR suppression_window_id IS NULL)
) NOT VALID;
