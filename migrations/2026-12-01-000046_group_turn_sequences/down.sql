-- Hands each group's turn back to operator_groups.next_turn (as a position over its
-- members, which is what the older code reads), then drops the sequences.
DO $$
DECLARE
    g RECORD;
    taken BIGINT;
BEGIN
    FOR g IN SELECT id, members FROM operator_groups LOOP
        IF to_regclass(operator_group_turn_sequence(g.id)) IS NOT NULL THEN
            EXECUTE format('SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM %I',
                           operator_group_turn_sequence(g.id)) INTO taken;
            UPDATE operator_groups
            SET next_turn = taken % greatest(jsonb_array_length(g.members), 1)
            WHERE id = g.id;
            EXECUTE format('DROP SEQUENCE %I', operator_group_turn_sequence(g.id));
        END IF;
    END LOOP;
END
$$;
DROP TRIGGER operator_groups_turn_sequence ON operator_groups;
DROP FUNCTION operator_groups_turn_sequence();
DROP FUNCTION take_group_turn(UUID);
DROP FUNCTION operator_group_turn_sequence(UUID);
