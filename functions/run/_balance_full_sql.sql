-- _recon.balance_full_sql(): the one statement of a balance check's full run (its findings and
-- its new incremental state).
CREATE OR REPLACE FUNCTION _recon.balance_full_sql(
    p_check _recon.check_def, p_bound numeric, p_state regclass
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_cols integer := cardinality(_recon.balance_columns(p_check.options));
    -- Exact sums (numeric, integers, money): a sum over every entry less the sum over those
    -- above the bound IS the sum over the settled ones, so the big aggregate reads the whole
    -- ledger with no condition on the ordering column and can use an index on (wallet key)
    -- INCLUDE (amount, ...) in key order (recon.advise(); docs/PERFORMANCE.md). Float sums
    -- depend on their order: there the settled entries are summed on their own, as before.
    v_exact boolean := cardinality(_recon.check_floats(p_check.options)) = 0;
    v_state text;
    v_combined text;
    v_type regtype := _recon.column_type(p_state, 'k');
BEGIN
    SELECT string_agg(CASE WHEN v_exact THEN format(
               'CASE WHEN a.n - COALESCE(t.n, 0) > 0 THEN a.s%1$s - COALESCE(t.s%1$s, 0) END', i)
                           ELSE 'a.s' || i END, ', ' ORDER BY i),
           string_agg(format(', CASE WHEN a.n IS NULL AND t.n IS NULL THEN NULL '
                             || 'ELSE COALESCE(a.s%1$s, 0) + COALESCE(t.s%1$s, 0) END AS s%1$s',
                             i), '' ORDER BY i)
    INTO v_state, v_combined FROM generate_series(1, v_cols) AS i;
    RETURN format($q$
        WITH a AS MATERIALIZED (%1$s),
        t AS MATERIALIZED (%2$s),
        -- the settled entries per key (exact: all less those above the bound)
        s AS (
            SELECT a.k, a.n%8$s AS n, a.n_amount%9$s AS n_amount, a.n_bad%10$s AS n_bad,
                   ARRAY[%4$s]::numeric[] AS sums
            FROM a%11$s
        ),
        -- a row per summed key and per wallet (n = 0 without entries): has_wallet tells the
        -- next run which keys were wallets; into a new table without an index (its key is
        -- built after the data, _recon.balance_state_swap)
        st AS (
            INSERT INTO %3$s (k, n, n_amount, n_bad, sums, has_wallet)
            SELECT COALESCE(s.k::%13$s, w.%6$I::%13$s), COALESCE(s.n, 0),
                   COALESCE(s.n_amount, 0), COALESCE(s.n_bad, 0),
                   CASE WHEN s.n > 0 THEN s.sums ELSE ARRAY[%12$s]::numeric[] END,
                   w.%6$I IS NOT NULL
            FROM s FULL JOIN %7$s AS w ON w.%6$I = s.k
            -- entries without a wallet key are no wallet's: never in the state (see below);
            -- nor a key whose entries are all above the bound
            WHERE (s.k IS NOT NULL AND s.n > 0) OR w.%6$I IS NOT NULL
            RETURNING has_wallet
        ),
        staged AS (
            INSERT INTO _recon.run_stage
                (run_id, check_name, finding_key, wallet_key, stored, expected, difference,
                 details, cause)
            SELECT $1, f.check_name,
                   concat_ws('/', COALESCE(f.wallet_key, '-'), f.details ->> 'item'),
                   f.wallet_key, f.stored, f.expected, f.difference, f.details,
                   f.details ->> 'cause'
            FROM (%5$s) AS f
            RETURNING 1
        )
        SELECT count(*), count(*) FILTER (WHERE st.has_wallet),
               (SELECT count(*) FROM s WHERE s.k IS NULL AND s.n > 0) FROM st$q$,
        _recon.balance_agg_sql(p_check.options,
                               CASE WHEN v_exact THEN 'TRUE' ELSE format('l.ord <= %s', p_bound) END),
        _recon.balance_agg_sql(p_check.options, format('l.ord > %s', p_bound)),
        p_state, v_state,
        _recon.balance_findings_sql(p_check.name, p_check.options, CASE
            WHEN v_exact THEN 'a AS e'  -- every entry, summed as the check's view sums them
            ELSE format('(SELECT COALESCE(a.k, t.k) AS k, '
                        || 'COALESCE(a.n, 0) + COALESCE(t.n, 0) AS n, '
                        || 'COALESCE(a.n_amount, 0) + COALESCE(t.n_amount, 0) AS n_amount, '
                        || 'COALESCE(a.n_bad, 0) + COALESCE(t.n_bad, 0) AS n_bad%s '
                        || 'FROM a FULL JOIN t ON t.k = a.k) AS e', v_combined) END, 'FULL'),
        v_wallet.key_column, v_wallet.relid::regclass,
        CASE WHEN v_exact THEN ' - COALESCE(t.n, 0)' ELSE '' END,
        CASE WHEN v_exact THEN ' - COALESCE(t.n_amount, 0)' ELSE '' END,
        CASE WHEN v_exact THEN ' - COALESCE(t.n_bad, 0)' ELSE '' END,
        -- t has at most one row per key; a NULL key joins none, so with exact sums every
        -- entry without a wallet key counts (the caller then runs the check in full)
        CASE WHEN v_exact THEN ' LEFT JOIN t ON t.k = a.k' ELSE '' END,
        (SELECT string_agg('NULL', ', ') FROM generate_series(1, v_cols)), v_type
    );
END;
$body$;

COMMENT ON FUNCTION _recon.balance_full_sql(_recon.check_def, numeric, regclass) IS
'The statement of a balance check''s full run (_recon.balance_full; $1 the run): one pass '
'over the ledger, whose per-wallet sums are the run''s findings (by the check''s own SQL, '
'_recon.balance_findings_sql) and, less the entries above p_bound, the new state '
'(p_state, a new table: _recon.balance_state_create). With exact sums the pass reads every '
'entry with no condition, so an index on (wallet key) INCLUDE (amount, ...) serves it in '
'key order; float sums are summed up to the bound on their own. Returns the state rows, '
'those of wallets, and settled NULL wallet keys.';

REVOKE EXECUTE ON FUNCTION _recon.balance_full_sql(_recon.check_def, numeric, regclass)
FROM PUBLIC;
