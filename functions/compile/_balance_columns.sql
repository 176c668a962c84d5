-- _recon.balance_columns(): the balance columns a balance check compares, validated.
CREATE OR REPLACE FUNCTION _recon.balance_columns(p_options jsonb)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledgers text[] := _recon.check_ledgers(p_options);
    v_wallet _recon.wallet_source := _recon.wallet((_recon.ledger(v_ledgers[1])).wallet_source);
    v_cols text[];
    v_col text;
BEGIN
    IF p_options ? 'columns' THEN
        IF jsonb_typeof(p_options -> 'columns') <> 'array'
            OR jsonb_array_length(p_options -> 'columns') = 0
            OR EXISTS (SELECT FROM jsonb_array_elements(p_options -> 'columns') AS e
                       WHERE jsonb_typeof(e) <> 'string')
            OR (SELECT count(DISTINCT e) <> count(*)
                FROM jsonb_array_elements(p_options -> 'columns') AS e) THEN
            PERFORM _recon.fail('RC106',
                                '"columns" must be a non-empty array of distinct column names',
                                format('Got %s.', p_options -> 'columns'),
                                'E.g. ["available", "on_hold"], or leave it out for all.');
        END IF;
        v_cols := ARRAY(SELECT jsonb_array_elements_text(p_options -> 'columns'));
    ELSE  -- every balance column the ledgers move
        v_cols := ARRAY(SELECT c FROM unnest(v_wallet.balance_columns) AS c
                        WHERE EXISTS (SELECT FROM _recon.ledger_source AS l
                                      WHERE l.name = ANY (v_ledgers) AND l.effects ? c));
    END IF;
    FOREACH v_col IN ARRAY v_cols LOOP
        IF v_col <> ALL (v_wallet.balance_columns) THEN
            PERFORM _recon.fail(
                'RC102', format('%L is not a balance column of wallet source %s', v_col,
                                v_wallet.name),
                format('Balance columns: %s.', array_to_string(v_wallet.balance_columns, ', ')),
                'Fix "columns", or leave it out to check every column the ledger moves.'
            );
        END IF;
    END LOOP;
    RETURN v_cols;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_columns(jsonb) IS
'The balance columns a balance check compares: "columns" (RC106 unless a non-empty array of '
'distinct names), else every column the ledger moves; '
'RC102 for one that is not a balance column.';

REVOKE EXECUTE ON FUNCTION _recon.balance_columns(jsonb) FROM PUBLIC;
