-- _recon.fix_measure(): stored balances, currency and ledger sums of some wallets, now.
CREATE OR REPLACE FUNCTION _recon.fix_measure(p_source text, p_keys text[], p_ledgers text[])
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_source);
    v_ledger _recon.ledger_source;
    v_key_type regtype := _recon.column_type(v_ws.relid, v_ws.key_column);
    v_result jsonb;
    v_sums jsonb;
BEGIN
    -- {wallet: {"currency": c, "stored": {column: value}, "ledger": {ledger: {column: sum}}}}
    v_result := _recon.fix_read(format(
        'SELECT COALESCE(jsonb_object_agg(w.%1$I::text, jsonb_build_object('
        || '''currency'', %2$s, ''stored'', %3$s, ''ledger'', ''{}''::jsonb)), '
        || '''{}'') FROM %4$s AS w WHERE w.%1$I = ANY ($1::%5$s[])',
        v_ws.key_column,
        CASE WHEN v_ws.currency_column IS NOT NULL
             THEN format('w.%I::text', v_ws.currency_column) ELSE 'NULL::text' END,
        _recon.stored_balances_sql(v_ws, v_ws.balance_columns),  -- major units
        v_ws.relid::regclass, v_key_type), p_keys);
    -- Each ledger's effects on each balance column, summed per wallet over its legs (the rows
    -- the checks count: both sides of a transfer row, only the rows the filters keep): only
    -- these wallets' entries are read (an index on the ledger's wallet column serves it).
    FOR v_ledger IN SELECT l.* FROM _recon.ledger_source AS l
                    WHERE l.wallet_source = p_source AND l.name = ANY (p_ledgers)
                    ORDER BY l.name LOOP
        v_sums := _recon.fix_read(format(
            'SELECT COALESCE(jsonb_object_agg(x.k, x.v), ''{}'') FROM (SELECT l.%1$I::text AS k, '
            || 'jsonb_build_object(%2$s) AS v FROM %3$s AS l WHERE l.%1$I = ANY ($1::%4$s[]) '
            || 'GROUP BY l.%1$I) AS x',
            'wallet',
            COALESCE((SELECT string_agg(format('%L, COALESCE(sum(%s), 0)', b,
                                               _recon.effect_sql(_recon.legs(v_ledger), b, 'l')),
                                        ', ')
                      FROM unnest(v_ws.balance_columns) AS b WHERE v_ledger.effects ? b), ''),
            _recon.legs_sql(v_ledger), v_key_type), p_keys);
        SELECT COALESCE(jsonb_object_agg(r.key, jsonb_set(r.value, ARRAY['ledger', v_ledger.name],
                                                          COALESCE(v_sums -> r.key, '{}'))), '{}')
        INTO v_result
        FROM jsonb_each(v_result) AS r;
    END LOOP;
    RETURN v_result;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_measure(text, text[], text[]) IS
'For recon.fix()''s checks of what it changed: the wallets p_keys of wallet source p_source as '
'they are now: {wallet: {"currency": its currency column or null, "stored": {column: balance}, '
'"ledger": {ledger: {column: sum of effects}}}}, the ledger sums for the ledgers p_ledgers only '
'(read through their wallet column).';

REVOKE EXECUTE ON FUNCTION _recon.fix_measure(text, text[], text[]) FROM PUBLIC;
