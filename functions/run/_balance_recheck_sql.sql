-- _recon.balance_recheck_sql(): the INSERT that re-checks the wallets that may have changed.
CREATE OR REPLACE FUNCTION _recon.balance_recheck_sql(
    p_check _recon.check_def, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source,
    p_key_type regtype, p_bound numeric, p_cols integer
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_state regclass := _recon.balance_state_table(p_check.name);
    v_pa text;
    v_combined text;
    -- the state key's own equality (citext: case-insensitive, as its primary key)
    v_eq text := _recon.key_equals(_recon.column_type(v_state, 'k'));
BEGIN
    v_pa := CASE WHEN p_ledger.parents IS NOT NULL THEN ' + COALESCE(pa.%s, 0)' ELSE '' END;
    SELECT string_agg(format(
        ', CASE WHEN s.n IS NULL AND t.n IS NULL%2$s THEN NULL '
        || 'ELSE COALESCE(s.sums[%1$s], 0)%3$s + COALESCE(t.s%1$s, 0) END AS s%1$s',
        i, CASE WHEN v_pa <> '' THEN ' AND pa.n IS NULL' ELSE '' END,
        format(v_pa, 's' || i)), '' ORDER BY i)
    INTO v_combined FROM generate_series(1, p_cols) AS i;
    RETURN format($q$
        INSERT INTO _recon.run_stage
            (run_id, check_name, finding_key, wallet_key, stored, expected, difference, details,
             cause)
        SELECT $1, f.check_name, concat_ws('/', COALESCE(f.wallet_key, '-'), f.details ->> 'item'),
               f.wallet_key, f.stored, f.expected, f.difference, f.details, f.details ->> 'cause'
        FROM (%s) AS f
        -- a re-checked key that is neither a wallet nor in the ledger (a wallet with an open
        -- finding deleted, or re-keyed) is nothing to report, as in a full run
        WHERE NOT (f.details ->> 'cause' = 'unknown_wallet'
                   AND (f.details ->> 'entries')::bigint = 0)$q$,
        _recon.balance_findings_sql(p_check.name, p_check.options, format($e$(
            WITH t AS MATERIALIZED (%1$s),
            -- the keys to re-check, first, as one array: its rows are estimated as few, so the
            -- state and the wallets are probed by primary key, not hash-joined whole
            rk AS MATERIALIZED (SELECT ARRAY(
                SELECT t.k FROM t
                UNION SELECT x.k FROM wp CROSS JOIN LATERAL unnest(wp.new_keys) AS x (k)
                UNION SELECT o.wallet_key::%4$s FROM _recon.finding AS o
                      WHERE o.check_name = %5$L AND o.resolved_run IS NULL AND o.dropped_at IS NULL
                        AND o.wallet_key IS NOT NULL
                UNION SELECT d::%4$s FROM unnest($2::text[]) AS d%7$s) AS ks),
            r AS (SELECT u.k FROM unnest((SELECT rk.ks FROM rk)) AS u (k))
            SELECT r.k,
                   NULLIF(COALESCE(s.n, 0)%8$s + COALESCE(t.n, 0), 0) AS n,
                   COALESCE(s.n_amount, 0)%9$s + COALESCE(t.n_amount, 0) AS n_amount,
                   COALESCE(s.n_bad, 0)%10$s + COALESCE(t.n_bad, 0) AS n_bad%6$s
            FROM r%11$s
            LEFT JOIN %14$s AS s ON %12$ss.k %16$s r.k::%15$s%13$s
            LEFT JOIN t ON t.k %16$s r.k
        ) AS e$e$,
            _recon.balance_agg_sql(p_check.options, format('l.ord > %s', p_bound)),
            p_wallet.key_column, p_wallet.relid::regclass, p_key_type, p_check.name, v_combined,
            CASE WHEN v_pa <> '' THEN ' UNION SELECT pk.k FROM pk' ELSE '' END,
            format(v_pa, 'n'), format(v_pa, 'n_amount'), format(v_pa, 'n_bad'),
            CASE WHEN v_pa <> '' THEN format(' LEFT JOIN pk AS q ON q.k %s r.k', v_eq) ELSE '' END,
            CASE WHEN v_pa <> '' THEN 'q.k IS NULL AND ' ELSE '' END,
            CASE WHEN v_pa <> '' THEN format(' LEFT JOIN pa ON pa.k %s r.k', v_eq) ELSE '' END,
            v_state, _recon.column_type(v_state, 'k'), v_eq),
        'LEFT'));
END;
$body$;

COMMENT ON FUNCTION _recon.balance_recheck_sql(
    _recon.check_def, _recon.ledger_source, _recon.wallet_source, regtype, numeric, integer
) IS
'Step 3 of _recon.balance_increment: the INSERT into _recon.run_stage of balance check '
'p_check''s findings for the wallets to re-check (new settled entries: $2; entries above '
'bound p_bound; wallet rows written since: CTE wp; open findings; with parents, the wallets '
'under a changed parent row: CTEs pk, pa), judged by the SQL of a full run '
'(_recon.balance_findings_sql) from the state plus the entries above the bound.';

REVOKE EXECUTE ON FUNCTION _recon.balance_recheck_sql(
    _recon.check_def, _recon.ledger_source, _recon.wallet_source, regtype, numeric, integer
) FROM PUBLIC;
