-- _recon.compile_balance(): stored balances against the sum of ledger effects (seeds 000-003).
CREATE OR REPLACE FUNCTION _recon.compile_balance(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_tol numeric := COALESCE((p_options ->> 'tolerance')::numeric, 0);
    v_cols text[];
    v_col text;
    v_sums text := '';
    v_values text := '';
    v_i integer := 0;
BEGIN
    IF p_options ? 'columns' THEN
        v_cols := ARRAY(SELECT jsonb_array_elements_text(p_options -> 'columns'));
    ELSE  -- every balance column the ledger moves
        v_cols := ARRAY(SELECT c FROM unnest(v_wallet.balance_columns) AS c
                        WHERE v_ledger.effects ? c);
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
        v_i := v_i + 1;
        v_sums := v_sums || format(', sum(%s) AS s%s', _recon.effect_sql(v_ledger, v_col, 'l'), v_i);
        v_values := v_values || CASE WHEN v_i > 1 THEN ', ' ELSE '' END
            || format('(%L, w.%I::numeric, COALESCE(e.s%s, 0)::numeric)', v_col, v_col, v_i);
    END LOOP;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       COALESCE(w.%2$I::text, e.k::text) AS wallet_key,
       v.stored,
       v.expected,
       v.stored - v.expected AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', v.col,
           'column', v.col,
           'entries', COALESCE(e.n, 0),
           'null_amounts', NULLIF(e.n - e.n_amount, 0),
           'unmapped_entries', NULLIF(e.n_bad, 0),
           'cause', CASE
               WHEN w.%2$I IS NULL THEN 'unknown_wallet'
               WHEN e.n_bad > 0 THEN 'unmapped_entry_type'
               WHEN e.n > e.n_amount OR v.expected IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_amount'
               WHEN v.stored IS NULL OR v.stored IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_balance'
               WHEN e.n IS NULL THEN 'no_ledger_entries'
           END
       )) AS details
FROM (
    SELECT l.%3$I AS k, count(*) AS n, count(l.%4$I) AS n_amount,
           count(*) FILTER (WHERE %5$s) AS n_bad%6$s
    FROM %7$s AS l
    GROUP BY l.%3$I
) AS e
FULL JOIN %8$s AS w ON w.%2$I = e.k
CROSS JOIN LATERAL (VALUES %9$s) AS v (col, stored, expected)
WHERE w.%2$I IS NULL
   OR e.n > e.n_amount
   OR e.n_bad > 0
   OR v.stored IS NULL
   OR v.stored IN ('NaN', 'Infinity', '-Infinity')
   OR v.expected IN ('NaN', 'Infinity', '-Infinity')
   OR abs(v.stored - v.expected) > %10$s$sql$,
        p_name, v_wallet.key_column, v_ledger.wallet_column, v_ledger.amount_column,
        _recon.unmapped_sql(v_ledger, 'l'), v_sums, v_ledger.relid::regclass,
        v_wallet.relid::regclass, v_values, v_tol
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_balance(text, jsonb) IS
'Compiles a balance check: each stored balance column against the sum of the ledger''s effects '
'on it, in one pass over the ledger (GROUP BY wallet) joined to the wallets. A wallet with no '
'entries and a zero balance is clean; NULL, NaN and infinite values, entries of unknown '
'wallets and unmapped entry types are findings.';

REVOKE EXECUTE ON FUNCTION _recon.compile_balance(text, jsonb) FROM PUBLIC;
