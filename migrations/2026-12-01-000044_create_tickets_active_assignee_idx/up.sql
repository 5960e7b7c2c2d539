-- Each member's load (active tickets assigned to it), counted when a new ticket is
-- assigned over a group: only active, assigned tickets are in it. See 000002 for
-- CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_active_assignee_idx
    ON tickets (org_id, assignee_id)
    WHERE assignee_id IS NOT NULL AND status IN ('open', 'assigned', 'in_progress', 'on_hold');
