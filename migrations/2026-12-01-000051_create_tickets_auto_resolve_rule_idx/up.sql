-- Whether a ticket's auto-resolve rule was copied from a rule (removing the rule archives
-- it then). Partial: only tickets a rule took pay for it. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_auto_resolve_rule_idx
    ON tickets (org_id, (auto_resolve ->> 'rule_id')) WHERE auto_resolve IS NOT NULL;
