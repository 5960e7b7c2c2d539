-- Whether tickets were made under a policy (removing it archives it then). Partial: only
-- tickets made under a policy pay for it. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_sla_policy_idx
    ON tickets (org_id, sla_policy_id) WHERE sla_policy_id IS NOT NULL;
