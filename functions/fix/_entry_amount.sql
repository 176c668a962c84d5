-- _recon.entry_amount(): the amount of an entry type that moves balances by exactly p_deltas.
CREATE OR REPLACE FUNCTION _recon.entry_amount(
    p_effects jsonb, p_cols text[], p_label text, p_deltas jsonb
)
RETURNS numeric
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_amount numeric;
    v_fits boolean := TRUE;
    v_col text;
    v_mult numeric;
    v_delta numeric;
BEGIN
    FOREACH v_col IN ARRAY p_cols LOOP
        v_mult := COALESCE((p_effects -> v_col ->> p_label)::numeric, 0);
        v_delta := COALESCE((p_deltas ->> v_col)::numeric, 0);
        IF v_mult = 0 THEN
            v_fits := v_fits AND v_delta = 0;
        ELSIF v_amount IS NULL THEN
            v_amount := CASE WHEN abs(v_mult) = 1 THEN v_delta * v_mult
                             ELSE v_delta / v_mult END;
        ELSE
            v_fits := v_fits AND v_amount * v_mult = v_delta;
        END IF;
    END LOOP;
    RETURN CASE WHEN v_fits THEN v_amount END;
END;
$body$;

COMMENT ON FUNCTION _recon.entry_amount(jsonb, text[], text, jsonb) IS
'For _recon.entry_for and _recon.writer_rule_entry: the amount an entry of type p_label (a '
'label of effects p_effects, {column: {label: multiplier}}) must have to move balance columns '
'p_cols by exactly p_deltas ({column: delta}); NULL when no amount does, or the type moves '
'none of them. The sign is the caller''s to judge.';

REVOKE EXECUTE ON FUNCTION _recon.entry_amount(jsonb, text[], text, jsonb) FROM PUBLIC;
