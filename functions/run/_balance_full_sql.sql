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
    -- the wallet key's own equality in the joins (citext: not its text's)
    v_eq text := _recon.key_equals(_recon.column_type(v_wallet.relid, v_wallet.key_column));
BEGIN
    IF v_exact THEN
        -- One join of the sums with the wallets feeds both the state and the findings (j).
        -- The sums over every entry (a) are not materialized: under an index on (wallet key)
        -- INCLUDE (amount, ...) they come in key order and can be merge-joined to the wallets.
        -- j keeps each wallet row whole (w, NULL without one); the findings read it back as
        -- the wallet row w, so they are the check's own SQL over the very same join.
        SELECT string_agg(format(', a.s%1$s, t.s%1$s AS t_s%1$s', i), '' ORDER BY i),
               string_agg(format('CASE WHEN j.n - COALESCE(j.t_n, 0) > 0 '
                                 || 'THEN j.s%1$s - COALESCE(j.t_s%1$s, 0) END', i),
                          ', ' ORDER BY i)
        INTO v_combined, v_state FROM generate_series(1, v_cols) AS i;
        RETURN format($q$
        WITH a AS (%1$s),
        t AS MATERIALIZED (%2$s),
        j AS MATERIALIZED (
            SELECT COALESCE(a.k::%9$s, w.%6$I::%9$s) AS sk, a.k, a.n, a.n_amount,
                   a.n_bad%10$s, t.n AS t_n, t.n_amount AS t_n_amount, t.n_bad AS t_n_bad,
                   w.%6$I IS NOT NULL AS has_wallet,
                   -- entries without a wallet key are no wallet's: never in the state (see
                   -- below); nor a key whose entries are all above the bound
                   (a.k IS NOT NULL AND a.n - COALESCE(t.n, 0) > 0) OR w.%6$I IS NOT NULL
                       AS in_state,
                   w
            FROM a FULL JOIN %7$s AS w ON w.%6$I %11$s a.k
            -- t has at most one row per key, every one of them a key of a; a NULL key joins
            -- none, so every entry without a wallet key counts (the caller then runs the
            -- check in full)
            LEFT JOIN t ON t.k %11$s a.k
        ),
        -- a row per summed key and per wallet (n = 0 without entries): has_wallet tells the
        -- next run which keys were wallets; into a new table without an index (its key is
        -- built after the data, _recon.balance_state_swap)
        st AS (
            INSERT INTO %3$s (k, n, n_amount, n_bad, sums, has_wallet)
            SELECT j.sk, COALESCE(j.n - COALESCE(j.t_n, 0), 0),
                   COALESCE(j.n_amount - COALESCE(j.t_n_amount, 0), 0),
                   COALESCE(j.n_bad - COALESCE(j.t_n_bad, 0), 0),
                   CASE WHEN j.n - COALESCE(j.t_n, 0) > 0 THEN ARRAY[%4$s]::numeric[]
                        ELSE ARRAY[%8$s]::numeric[] END,
                   j.has_wallet
            FROM j
            WHERE j.in_state
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
        -- (the counts from j, in one scan: st and staged run to completion all the same)
        SELECT count(*) FILTER (WHERE j.in_state),
               count(*) FILTER (WHERE j.in_state AND j.has_wallet),
               count(*) FILTER (WHERE j.k IS NULL AND j.n > 0) FROM j$q$,
            _recon.balance_agg_sql(p_check.options, 'TRUE'),
            _recon.balance_agg_sql(p_check.options, format('l.ord > %s', p_bound)),
            p_state, v_state,
            -- every entry, summed as the check's view sums them, and its wallet row
            _recon.balance_findings_sql(p_check.name, p_check.options,
                                        'j AS e CROSS JOIN LATERAL (SELECT (e.w).*) AS w', NULL),
            v_wallet.key_column, v_wallet.relid::regclass,
            (SELECT string_agg('NULL', ', ') FROM generate_series(1, v_cols)), v_type,
            v_combined, v_eq);
    END IF;
    -- Float sums depend on their order: the settled entries (a) and those above the bound (t)
    -- are summed each on their own, and the findings judge both together.
    SELECT string_agg('a.s' || i, ', ' ORDER BY i),
           string_agg(format(', CASE WHEN a.n IS NULL AND t.n IS NULL THEN NULL '
                             || 'ELSE COALESCE(a.s%1$s, 0) + COALESCE(t.s%1$s, 0) END AS s%1$s',
                             i), '' ORDER BY i)
    INTO v_state, v_combined FROM generate_series(1, v_cols) AS i;
    RETURN format($q$
        WITH a AS MATERIALIZED (%1$s),
        t AS MATERIALIZED (%2$s),
        -- a row per settled key and per wallet (n = 0 without entries): has_wallet tells the
        -- next run which keys were wallets; into a new table without an index (its key is
        -- built after the data, _recon.balance_state_swap)
        st AS (
            INSERT INTO %3$s (k, n, n_amount, n_bad, sums, has_wallet)
            SELECT COALESCE(a.k::%8$s, w.%6$I::%8$s), COALESCE(a.n, 0),
                   COALESCE(a.n_amount, 0), COALESCE(a.n_bad, 0),
                   CASE WHEN a.n > 0 THEN ARRAY[%4$s]::numeric[] ELSE ARRAY[%9$s]::numeric[] END,
                   w.%6$I IS NOT NULL
            FROM a FULL JOIN %7$s AS w ON w.%6$I %10$s a.k
            -- entries without a wallet key are no wallet's: never in the state
            WHERE (a.k IS NOT NULL AND a.n > 0) OR w.%6$I IS NOT NULL
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
               (SELECT count(*) FROM a WHERE a.k IS NULL AND a.n > 0) FROM st$q$,
        _recon.balance_agg_sql(p_check.options, format('l.ord <= %s', p_bound)),
        _recon.balance_agg_sql(p_check.options, format('l.ord > %s', p_bound)),
        p_state, v_state,
        _recon.balance_findings_sql(p_check.name, p_check.options, format(
            '(SELECT COALESCE(a.k, t.k) AS k, '
            || 'COALESCE(a.n, 0) + COALESCE(t.n, 0) AS n, '
            || 'COALESCE(a.n_amount, 0) + COALESCE(t.n_amount, 0) AS n_amount, '
            || 'COALESCE(a.n_bad, 0) + COALESCE(t.n_bad, 0) AS n_bad%s '
            || 'FROM a FULL JOIN t ON t.k %s a.k) AS e', v_combined, v_eq), 'FULL'),
        v_wallet.key_column, v_wallet.relid::regclass, v_type,
        (SELECT string_agg('NULL', ', ') FROM generate_series(1, v_cols)), v_eq
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
