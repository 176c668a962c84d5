-- _recon.entry_for(): the entry (type or direction, amount) that moves balances by p_deltas.
CREATE OR REPLACE FUNCTION _recon.entry_for(
    p_ledger _recon.ledger_source, p_deltas jsonb, p_prefer text[]
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_cols text[] := (_recon.wallet(p_ledger.wallet_source)).balance_columns;
    v_value text;
    v_amount numeric;
    v_fits boolean;
    v_col text;
    v_mult numeric;
    v_delta numeric;
BEGIN
    FOR v_value IN
        SELECT d.k FROM (SELECT DISTINCT e.key AS k
                         FROM jsonb_each(p_ledger.effects) AS x, jsonb_each(x.value) AS e) AS d
        ORDER BY array_position(p_prefer, d.k) NULLS LAST, d.k
    LOOP
        v_amount := NULL;
        v_fits := TRUE;
        FOREACH v_col IN ARRAY v_cols LOOP
            v_mult := COALESCE((p_ledger.effects -> v_col ->> v_value)::numeric, 0);
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
        -- a signed ledger posts negative amounts; a typed one posts a positive amount
        IF v_fits AND v_amount IS NOT NULL AND v_amount <> 0
            AND (v_value = '*' OR v_amount > 0) THEN
            RETURN jsonb_build_object('entry_type', NULLIF(v_value, '*'), 'amount', v_amount);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.entry_for(_recon.ledger_source, jsonb, text[]) IS
'The one ledger entry that moves the balance columns by exactly p_deltas ({column: delta}): '
'{"entry_type": direction or type (NULL for a signed ledger), "amount": a}, preferring the '
'types in p_prefer; NULL when no registered entry type does (the repair is then skipped).';

REVOKE EXECUTE ON FUNCTION _recon.entry_for(_recon.ledger_source, jsonb, text[]) FROM PUBLIC;
