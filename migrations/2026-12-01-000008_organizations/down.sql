DROP TRIGGER tickets_assign_number ON tickets;
DROP FUNCTION tickets_assign_number();
DROP FUNCTION provision_organization(UUID, TEXT, TEXT);
-- Sequences of organizations other than the default one go with them.
DO $$
DECLARE
    org UUID;
BEGIN
    FOR org IN SELECT id FROM organizations
               WHERE id <> '00000000-0000-0000-0000-000000000001' LOOP
        EXECUTE format('DROP SEQUENCE IF EXISTS %I', ticket_number_sequence(org));
    END LOOP;
END
$$;
DROP FUNCTION ticket_number_sequence(UUID);
ALTER SEQUENCE ticket_number_00000000000000000000000000000001 RENAME TO ticket_number_seq;
ALTER TABLE tickets ALTER COLUMN number SET DEFAULT nextval('ticket_number_seq');
ALTER TABLE notification_logs DROP COLUMN org_id;
ALTER TABLE ticket_state_history DROP COLUMN org_id;
ALTER TABLE ticket_comments DROP COLUMN org_id;
ALTER TABLE ticket_alerts DROP COLUMN org_id;
ALTER TABLE tickets DROP COLUMN org_id;
DROP TABLE organizations;
