-- Whether a ticket's chain was copied from a policy (removing it archives it then).
-- Partial: only tickets with a chain pay for it. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_escalation_policy_idx
    ON tickets (org_id, (escalation ->> 'policy_id')) WHERE escalation IS NOT NULL;
