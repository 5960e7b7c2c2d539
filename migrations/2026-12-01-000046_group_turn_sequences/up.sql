-- Round robin's turns from a sequence per operator group (issue 11). A turn taken with
-- nextval holds no lock until the creation commits, so concurrent creates a rule sends to
-- one group no longer queue on the group's row (see assign_new). Expand only:
-- operator_groups.next_turn stays, still written by instances that predate this, and
-- seeds each existing group's sequence.

-- The sequence of a group, by name.
CREATE FUNCTION operator_group_turn_sequence(g UUID) RETURNS TEXT
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'operator_group_turn_' || replace(g::text, '-', '') $$;

-- SECURITY DEFINER, as for ticket numbers (000008): the service's role may take turns and
-- create groups, not create or drop arbitrary objects.
CREATE FUNCTION take_group_turn(g UUID) RETURNS BIGINT
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$ SELECT nextval(operator_group_turn_sequence(g)::regclass) $$;

CREATE FUNCTION operator_groups_turn_sequence() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I MINVALUE 0 START 0',
                       operator_group_turn_sequence(NEW.id));
        RETURN NEW;
    END IF;
    EXECUTE format('DROP SEQUENCE IF EXISTS %I', operator_group_turn_sequence(OLD.id));
    RETURN OLD;
END
$$;
CREATE TRIGGER operator_groups_turn_sequence AFTER INSERT OR DELETE ON operator_groups
    FOR EACH ROW EXECUTE FUNCTION operator_groups_turn_sequence();

DO $$
DECLARE
    g RECORD;
BEGIN
    FOR g IN SELECT id, next_turn FROM operator_groups LOOP
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I MINVALUE 0 START %s',
                       operator_group_turn_sequence(g.id), g.next_turn);
    END LOOP;
END
$$;
