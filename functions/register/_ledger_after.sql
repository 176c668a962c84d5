-- _recon.ledger_after(): validate running balances per balance column ("balance_after" map).
CREATE OR REPLACE FUNCTION _recon.ledger_after(
    p_relid oid, p_wallet _recon.wallet_source, p_effects jsonb, p_after jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_col text;
    v_after jsonb;
BEGIN
    IF p_after = '{}' THEN
        PERFORM _recon.fail('RC106', '"balance_after" must not be empty',
                            'It maps a balance column to the column of its running balance.',
                            'E.g. {"available": "available_after", "on_hold": "on_hold_after"}.');
    END IF;
    FOR v_col, v_after IN SELECT e.key, e.value FROM jsonb_each(p_after) AS e LOOP
        IF v_col <> ALL (p_wallet.balance_columns) THEN
            PERFORM _recon.fail(
                'RC102', format('%L is not a balance column of wallet source %s', v_col,
                                p_wallet.name),
                format('Balance columns: %s.', array_to_string(p_wallet.balance_columns, ', ')),
                'Key "balance_after" by balance column.'
            );
        END IF;
        IF NOT p_effects ? v_col THEN
            PERFORM _recon.fail('RC106', format('the ledger does not move %L', v_col),
                                'A running balance follows a column the ledger''s entries move.',
                                'Drop it, or fix the effects.');
        END IF;
        IF jsonb_typeof(v_after) <> 'string' THEN
            PERFORM _recon.fail('RC106', format('running balance of %L must name a column', v_col),
                                format('Got %s.', v_after), 'E.g. "available_after".');
        END IF;
        PERFORM _recon.resolve_column(p_relid, v_after #>> '{}', 'a running balance', TRUE);
    END LOOP;
    RETURN p_after;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_after(oid, _recon.wallet_source, jsonb, jsonb) IS
'Validates "balance_after" given per balance column ({"available": "available_after", ...}): '
'each key a balance column the ledger moves, each value a numeric column of the ledger. '
'RC102, RC103, RC106.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_after(oid, _recon.wallet_source, jsonb, jsonb)
FROM PUBLIC;
