-- Whether a rule changed tickets (removing an assignment rule that did archives it):
-- only rows of system actors are in it. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_state_history_system_actor_idx
    ON ticket_state_history (org_id, actor) WHERE actor LIKE 'system:%';
