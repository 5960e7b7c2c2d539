-- The second lock on tenancy (the first: every port method takes the organization): rows
-- of one organization are invisible to a query made for another, whatever the SQL says.
--
-- Roles (cluster-wide, so created once; NOLOGIN: the service logs in as the DATABASE_URL
-- user, which owns the schema and runs the migrations, and switches each pooled
-- connection to one of these):
-- - ticket_app: requests. Sees the rows of the organization its transaction names in
--   `app.org_id` (set transaction-locally, first thing); without it a query fails.
-- - ticket_worker: background work across organizations (breach monitor, outbox
--   dispatcher, retention); every event it writes must be its ticket's organization's.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ticket_app') THEN
        CREATE ROLE ticket_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ticket_worker') THEN
        CREATE ROLE ticket_worker NOLOGIN;
    END IF;
END
$$;
-- The migrating user may act as either (a superuser may anyway).
GRANT ticket_app, ticket_worker TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO ticket_app, ticket_worker;
GRANT SELECT, INSERT, UPDATE ON tickets, ticket_alerts, ticket_comments, ticket_state_history,
    notification_logs TO ticket_app;
GRANT SELECT, UPDATE ON organizations TO ticket_app;
-- The monitor only stamps breaches: it can change no other column of a ticket (so it can
-- move none to another organization), and FOR UPDATE needs just this.
GRANT SELECT, UPDATE (first_response_breach_notified_at, resolution_breach_notified_at)
    ON tickets TO ticket_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_logs TO ticket_worker;
-- Identity columns draw from their sequences; the per-organization ticket-number sequences
-- are the trigger's alone (SECURITY DEFINER), so no request can burn another
-- organization's numbers.
GRANT USAGE ON SEQUENCE ticket_alerts_id_seq, ticket_state_history_id_seq,
    notification_logs_id_seq TO ticket_app;
GRANT USAGE ON SEQUENCE notification_logs_id_seq TO ticket_worker;
GRANT EXECUTE ON FUNCTION provision_organization(UUID, TEXT, TEXT) TO ticket_app;

-- The organization of the current transaction; an error when none is set (never all rows).
CREATE FUNCTION current_org() RETURNS UUID
    LANGUAGE sql STABLE
    AS $$ SELECT current_setting('app.org_id')::uuid $$;

-- What `/metrics` shows of the outbox, across organizations, without reading any row.
CREATE FUNCTION notification_backlog() RETURNS BIGINT
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT count(*) FROM notification_logs WHERE status = 'pending' $$;
GRANT EXECUTE ON FUNCTION notification_backlog() TO ticket_app, ticket_worker;

-- FORCE makes the policies bind the tables' owner too: the owner (the migrating user,
-- which SECURITY DEFINER functions run as, and operators doing maintenance) sees every row
-- through its own policy; the service's requests never run as it.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON organizations TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON organizations TO ticket_app
    USING (id = current_org()) WITH CHECK (id = current_org());
CREATE POLICY every_organization ON organizations FOR SELECT TO ticket_worker USING (true);

ALTER TABLE tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON tickets TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON tickets TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
-- The breach monitor reads and stamps every organization's tickets (its column grants keep
-- it from moving one).
CREATE POLICY every_organization ON tickets TO ticket_worker USING (true) WITH CHECK (true);

ALTER TABLE ticket_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON ticket_alerts TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON ticket_alerts TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());

ALTER TABLE ticket_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_comments FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON ticket_comments TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON ticket_comments TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());

ALTER TABLE ticket_state_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_state_history FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON ticket_state_history TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON ticket_state_history TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());

ALTER TABLE notification_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY owner ON notification_logs TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own_organization ON notification_logs TO ticket_app
    USING (org_id = current_org()) WITH CHECK (org_id = current_org());
-- Workers claim any organization's events; one they write is its ticket's organization's.
CREATE POLICY every_organization ON notification_logs TO ticket_worker
    USING (true)
    WITH CHECK (org_id = (SELECT t.org_id FROM tickets t WHERE t.id = ticket_id));
