-- _recon.balance_findings_sql(): a balance check's findings from per-wallet aggregates.
CREATE OR REPLACE FUNCTION _recon.balance_findings_sql(
    p_name text, p_options jsonb, p_from text, p_join text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger((_recon.check_ledgers(p_options))[1]);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    -- per wallet, its currency's tolerance (the wallet's currency column, else the check's)
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency',
        CASE WHEN v_wallet.currency_column IS NOT NULL
             THEN format('w.%I::text', v_wallet.currency_column) END, 0);
    v_values text;
    v_spelling text;
    -- the wallet key's own equality (citext: case-insensitive, as its GROUP BY)
    v_eq text := _recon.key_equals(_recon.column_type(v_wallet.relid, v_wallet.key_column));
BEGIN
    -- An unknown wallet's key as the ledger spells it: where keys are equal with different
    -- texts (citext, numeric), the group's own key is whichever spelling the aggregate met
    -- first, so the smallest spelling (bytewise) of its entries is reported instead, read
    -- by the wallet key for unknown wallets only (full, incremental and replica runs alike).
    SELECT 'LEAST(' || string_agg(format(
               '(SELECT min(x.wallet::text COLLATE "C") FROM %s AS x WHERE x.wallet %s e.k)',
               _recon.legs_sql(l), v_eq), ', ') || ')'
    INTO v_spelling
    FROM unnest(_recon.check_ledgers(p_options)) AS n (name)
    CROSS JOIN LATERAL _recon.ledger(n.name) AS l
    WHERE EXISTS (SELECT FROM unnest(ARRAY[l.wallet_column, l.debit_wallet_column,
                                           l.credit_wallet_column]) AS c (col)
                  WHERE c.col IS NOT NULL
                    AND _recon.key_text_unequal(l.relid, c.col) IS NOT NULL);
    -- the stored balances in major units, exactly, when they hold minor units
    SELECT string_agg(format('(%L, %s::numeric, COALESCE(e.s%s, 0)::numeric)', c,
                             _recon.major_sql(v_wallet.balance_scale, format('w.%I', c), 'w'), i),
                      ', ' ORDER BY i)
    INTO v_values
    FROM unnest(_recon.balance_columns(p_options)) WITH ORDINALITY AS u (c, i);
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       COALESCE(w.%2$I::text, %11$se.k::text) AS wallet_key,
       v.stored,
       v.expected,
       v.stored - v.expected AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           -- an unknown wallet is one finding, whatever its columns (acknowledged once)
           'item', CASE WHEN w.%2$I IS NOT NULL THEN v.col END,
           'column', v.col,
           'label', %9$s,%10$s
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
FROM %3$s%4$s
CROSS JOIN LATERAL (VALUES %6$s) AS v (col, stored, expected)
WHERE CASE WHEN w.%2$I IS NULL THEN v.col = %8$L
           ELSE e.n > e.n_amount
                OR e.n_bad > 0
                OR v.stored IS NULL
                OR v.stored IN ('NaN', 'Infinity', '-Infinity')
                OR v.expected IN ('NaN', 'Infinity', '-Infinity')
                OR abs(v.stored - v.expected) > %7$s END$sql$,
        p_name, v_wallet.key_column, p_from,
        -- p_join NULL: p_from has joined the wallets already (as w)
        CASE WHEN p_join IS NOT NULL
             THEN format(E'\n%s JOIN %s AS w ON w.%I %s e.k', p_join, v_wallet.relid::regclass,
                         v_wallet.key_column, v_eq) ELSE '' END,
        NULL, v_values, v_tol,
        (_recon.balance_columns(p_options))[1],
        _recon.column_sql('w', v_wallet.label_column, 'text'),
        -- float amounts or balances: said on each finding (also in incremental runs)
        CASE WHEN cardinality(_recon.check_floats(p_options)) > 0
             THEN E'\n           ''float_amounts'', TRUE,' ELSE '' END,
        COALESCE(v_spelling || ', ', '')
    );
END;
$body$;

COMMENT ON FUNCTION _recon.balance_findings_sql(text, jsonb, text, text) IS
'The findings of a balance check, from p_from (per-wallet aggregates named e: k, n, n_amount, '
'n_bad, s1..sN; n NULL for a wallet without entries) joined (p_join: FULL or LEFT) to the '
'wallets (p_join NULL: p_from has joined them, as w): one per wallet and column, one per '
'unknown wallet (keyed by the wallet alone, its first column shown), stored balances of '
'minor units read in major units (_recon.major_sql), "float_amounts" on each finding of a '
'check reading floats. Full and incremental runs share it, so they judge a wallet the same '
'way.';

REVOKE EXECUTE ON FUNCTION _recon.balance_findings_sql(text, jsonb, text, text) FROM PUBLIC;
