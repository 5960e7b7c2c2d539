-- An operator's queue: `assignee_id` with one or several statuses, newest first. The
-- list walks one (assignee, status) range per status in order (docs/PERFORMANCE.md).
CREATE INDEX tickets_assignee_status_created_idx
    ON tickets (assignee_id, status, created_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
