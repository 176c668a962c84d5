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
BEGIN
    FOR v_value IN
        SELECT d.k FROM (SELECT DISTINCT e.key AS k
                         FROM jsonb_each(p_ledger.effects) AS x, jsonb_each(x.value) AS e) AS d
        ORDER BY array_position(p_prefer, d.k) NULLS LAST, d.k
    LOOP
        v_amount := _recon.entry_amount(p_ledger.effects, v_cols, v_value, p_deltas);
        -- a signed ledger posts negative amounts; a typed one posts a positive amount
        IF v_amount IS NOT NULL AND v_amount <> 0
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
