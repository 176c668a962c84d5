-- _recon.compile_derived(): a stored column against an aggregate over another table (seed 002).
CREATE OR REPLACE FUNCTION _recon.compile_derived(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_wallet _recon.wallet_source := _recon.wallet(p_options ->> 'wallet');
    -- per wallet, its currency's tolerance (the wallet's currency column, else the check's)
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', CASE WHEN v_wallet.currency_column IS NOT NULL
                                       THEN format('w.%I::text', v_wallet.currency_column) END,
        0);
    v_relid oid := _recon.resolve_table(p_options ->> 'table');
    v_column name := _recon.resolve_column(v_wallet.relid, p_options ->> 'column',
                                           'the derived balance', TRUE);
    v_key name := _recon.resolve_column(v_relid, p_options ->> 'key_column', 'the wallet key');
    v_value name := _recon.resolve_column(v_relid, p_options ->> 'value_column', 'the value', TRUE);
    v_join name := v_wallet.key_column;
    v_minus text := '0';
    v_filter text := 'TRUE';
BEGIN
    IF p_options ? 'wallet_column' THEN  -- match on another wallet column, e.g. its owner
        v_join := _recon.resolve_column(v_wallet.relid, p_options ->> 'wallet_column',
                                        'the wallet column to match');
    END IF;
    PERFORM _recon.same_key_type(v_relid, v_key, v_wallet.relid, v_join);
    IF p_options ? 'minus_column' THEN
        v_minus := format('COALESCE(t.%I, 0)', _recon.resolve_column(
            v_relid, p_options ->> 'minus_column', 'the subtracted value', TRUE));
    END IF;
    IF p_options ? 'filter_column' THEN
        v_filter := _recon.in_list_sql(v_relid, 't', p_options ->> 'filter_column',
                                       p_options -> 'filter_values', 'filter_values');
    ELSIF p_options ? 'filter_values' THEN
        PERFORM _recon.fail('RC106', '"filter_values" needs "filter_column"',
                            'The values are matched against that column.', 'Add "filter_column".');
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       COALESCE(w.%2$I::text, d.k::text) AS wallet_key,
       w.%3$I::numeric AS stored,
       COALESCE(d.v, 0)::numeric AS expected,
       (w.%3$I - COALESCE(d.v, 0))::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', %3$L,
           'column', %3$L,
           'rows', COALESCE(d.n, 0),
           'direction', CASE WHEN w.%3$I > COALESCE(d.v, 0) THEN 'over'
                             WHEN w.%3$I < COALESCE(d.v, 0) THEN 'under' END,
           'cause', CASE
               WHEN w.%2$I IS NULL THEN 'unknown_wallet'
               WHEN w.%3$I IS NULL OR w.%3$I IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_balance'
               WHEN d.n > d.n_value OR d.v IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_amount'
           END
       )) AS details
FROM %4$s AS w
FULL JOIN (
    SELECT t.%5$I AS k, sum(t.%6$I - %7$s) AS v, count(*) AS n, count(t.%6$I) AS n_value
    FROM %8$s AS t
    WHERE %9$s
    GROUP BY t.%5$I
) AS d ON d.k = w.%11$I
WHERE w.%2$I IS NULL
   OR w.%3$I IS NULL
   OR w.%3$I IN ('NaN', 'Infinity', '-Infinity')
   OR d.n > d.n_value
   OR d.v IN ('NaN', 'Infinity', '-Infinity')
   OR abs(w.%3$I - COALESCE(d.v, 0)) > %10$s$sql$,
        p_name, v_wallet.key_column, v_column, v_wallet.relid::regclass, v_key, v_value,
        v_minus, v_relid::regclass, v_filter, v_tol, v_join
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_derived(text, jsonb) IS
'Compiles a derived check: a stored wallet column (e.g. locked_balance) against '
'sum(value_column - minus_column) over another table''s rows for that wallet, optionally only '
'rows whose filter_column is in filter_values (e.g. open activations). Rows are matched to '
'wallets on key_column = the wallet key, or = wallet_column when given (e.g. the owner); rows '
'of no wallet are findings (unknown_wallet).';

REVOKE EXECUTE ON FUNCTION _recon.compile_derived(text, jsonb) FROM PUBLIC;
