-- Organizations (customers, sites): every row of every table belongs to one, and each sees
-- only its own. Expand step of an online change:
-- - `org_id` is added with a constant default, the default organization's id: PostgreSQL
--   records such a default in the catalogue without rewriting the table, every existing row
--   reads as the default organization's, and instances of the previous release (which do
--   not name an organization) keep writing into it. A later release drops the defaults.
-- - foreign keys are added NOT VALID (no scan under lock) and validated in a later step.
CREATE TABLE organizations (
    id          UUID PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        TEXT NOT NULL CHECK (char_length(btrim(name)) BETWEEN 1 AND 200),
    settings    JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO organizations (id, slug, name)
VALUES ('00000000-0000-0000-0000-000000000001', 'default', 'Default organization');

ALTER TABLE tickets
    ADD COLUMN org_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE ticket_alerts
    ADD COLUMN org_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE ticket_comments
    ADD COLUMN org_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE ticket_state_history
    ADD COLUMN org_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE notification_logs
    ADD COLUMN org_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';

ALTER TABLE tickets ADD CONSTRAINT tickets_org_fk
    FOREIGN KEY (org_id) REFERENCES organizations (id) NOT VALID;
ALTER TABLE ticket_alerts ADD CONSTRAINT ticket_alerts_org_fk
    FOREIGN KEY (org_id) REFERENCES organizations (id) NOT VALID;
ALTER TABLE ticket_comments ADD CONSTRAINT ticket_comments_org_fk
    FOREIGN KEY (org_id) REFERENCES organizations (id) NOT VALID;
ALTER TABLE ticket_state_history ADD CONSTRAINT ticket_state_history_org_fk
    FOREIGN KEY (org_id) REFERENCES organizations (id) NOT VALID;
ALTER TABLE notification_logs ADD CONSTRAINT notification_logs_org_fk
    FOREIGN KEY (org_id) REFERENCES organizations (id) NOT VALID;

-- Ticket numbers count per organization (TCK-1 is each one's first), from one sequence per
-- organization: `nextval` takes no lock, so organizations never wait for each other, and a
-- number lost to a rolled-back insert leaves a gap, as before. The default organization
-- keeps the existing sequence, renamed (a column default holds the sequence's oid, so the
-- previous release's inserts still draw from it until the trigger below replaces them).
ALTER SEQUENCE ticket_number_seq RENAME TO ticket_number_00000000000000000000000000000001;

-- The sequence of an organization, by name.
CREATE FUNCTION ticket_number_sequence(org UUID) RETURNS TEXT
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'ticket_number_' || replace(org::text, '-', '') $$;

-- Creates an organization once (and its number sequence); returns its id either way.
-- SECURITY DEFINER: the service's role may create organizations, not arbitrary objects.
CREATE FUNCTION provision_organization(p_id UUID, p_slug TEXT, p_name TEXT) RETURNS UUID
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    found UUID;
BEGIN
    INSERT INTO organizations (id, slug, name) VALUES (p_id, p_slug, p_name)
    ON CONFLICT (slug) DO NOTHING
    RETURNING id INTO found;
    IF found IS NOT NULL THEN
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', ticket_number_sequence(found));
        RETURN found;
    END IF;
    SELECT id INTO found FROM organizations WHERE slug = p_slug;
    RETURN found;
END
$$;

-- Every new ticket takes the next number of its organization. SECURITY DEFINER: the
-- service's role needs no right on the sequences themselves.
CREATE FUNCTION tickets_assign_number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    NEW.number := nextval(ticket_number_sequence(NEW.org_id)::regclass);
    RETURN NEW;
END
$$;
ALTER TABLE tickets ALTER COLUMN number DROP DEFAULT;
CREATE TRIGGER tickets_assign_number BEFORE INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_assign_number();
