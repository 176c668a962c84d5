-- _recon.balance_recheck(): re-check the wallets that may have changed, in one statement.
CREATE OR REPLACE FUNCTION _recon.balance_recheck(
    p_check _recon.check_def, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source,
    p_key_type regtype, p_bound numeric, p_sums text, p_insert text, p_run bigint,
    p_delta text[], p_since xid,
    OUT p_state_rows bigint, OUT p_old_rows bigint, OUT p_written bigint, OUT p_new_keys text[]
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_state regclass := _recon.balance_state_table(p_check.name);
    v_type regtype := _recon.column_type(v_state, 'k');
    v_wp text;
    v_counts text;
    -- the state key's own equality (citext: case-insensitive, as its primary key)
    v_eq text := _recon.key_equals(v_type);
BEGIN
    -- The one pass over the wallets, in the same statement: the rows written since the last
    -- run (their keys are re-checked) and the count of the others, unchanged since. With the
    -- state's wallet keys (has_wallet), that count shows whether a wallet vanished (deleted,
    -- or re-keyed: its entries stay under a key that is no wallet now).
    -- (age($3) once, as an InitPlan; the one test per row is the xmin's)
    v_wp := format($q$wp0 AS MATERIALIZED (
                SELECT count(*) AS all_rows,
                       COALESCE(array_agg(w.%1$I) FILTER (WHERE age(w.xmin) <= (SELECT age($3))),
                                ARRAY[]::%2$s[]) AS new_keys
                FROM %3$s AS w),
            wp AS (SELECT wp0.all_rows - cardinality(wp0.new_keys) AS old_rows, wp0.new_keys
                   FROM wp0),$q$,
                   p_wallet.key_column, p_key_type, p_wallet.relid::regclass);
    -- (each written key probed once: the ones that were no wallet then)
    v_counts := format($q$(SELECT wp.old_rows FROM wp),
                   (SELECT cardinality(wp.new_keys) FROM wp),
                   ARRAY(SELECT x.k::text FROM wp CROSS JOIN LATERAL unnest(wp.new_keys) AS x (k)
                         WHERE NOT EXISTS (SELECT FROM %1$s AS g
                                           WHERE g.k %3$s x.k::%2$s AND g.has_wallet))$q$,
                       v_state, v_type, v_eq);
    IF p_ledger.parents IS NULL THEN
        EXECUTE format('WITH %s staged AS (%s RETURNING 1) SELECT 0::bigint, %s',
                       v_wp, p_insert, v_counts)
        INTO p_state_rows, p_old_rows, p_written, p_new_keys USING p_run, p_delta, p_since;
    ELSE
        EXECUTE format($q$
            WITH %7$s pk AS MATERIALIZED (SELECT DISTINCT x.k::%1$s AS k FROM (%2$s) AS x (k)),
            pa AS MATERIALIZED (%3$s),
            up AS (
                INSERT INTO %4$s AS s (k, n, n_amount, n_bad, sums)
                SELECT pa.k::%9$s, pa.n, pa.n_amount, pa.n_bad, ARRAY[%5$s]::numeric[]
                FROM pa
                ON CONFLICT (k) DO UPDATE
                SET n = excluded.n, n_amount = excluded.n_amount, n_bad = excluded.n_bad,
                    sums = excluded.sums
                RETURNING s.xmax = 0 AS inserted
            ),
            gone AS (
                DELETE FROM %4$s AS s USING pk
                WHERE s.k %10$s pk.k::%9$s AND NOT s.has_wallet
                  AND NOT EXISTS (SELECT FROM pa WHERE pa.k %10$s pk.k)
                RETURNING 1
            ),
            -- a wallet left without entries keeps its row (has_wallet), emptied
            emptied AS (
                UPDATE %4$s AS s
                SET n = 0, n_amount = 0, n_bad = 0, sums = ARRAY[]::numeric[]
                FROM pk
                WHERE s.k %10$s pk.k::%9$s AND s.has_wallet
                  AND NOT EXISTS (SELECT FROM pa WHERE pa.k %10$s pk.k)
                RETURNING 1
            ),
            staged AS (%6$s RETURNING 1)
            SELECT (SELECT count(*) FROM up WHERE up.inserted) - (SELECT count(*) FROM gone),
                   %8$s$q$,
            p_key_type, _recon.incremental_parent_wallets_sql(p_ledger, '$3'),
            -- (the one-time EXISTS skips the ledger altogether when no parent row changed)
            _recon.balance_agg_sql(p_check.options, format(
                'l.wallet %s ANY (ARRAY(SELECT pk.k FROM pk)) AND l.ord <= %s '
                || 'AND EXISTS (SELECT FROM pk)', v_eq, p_bound)),
            v_state, replace(p_sums, 'a.s', 'pa.s'), p_insert, v_wp, v_counts, v_type, v_eq
        ) INTO p_state_rows, p_old_rows, p_written, p_new_keys
        USING p_run, p_delta, p_since;
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_recheck(
    _recon.check_def, _recon.ledger_source, _recon.wallet_source, regtype, numeric, text, text,
    bigint, text[], xid
) IS
'Step 3 of _recon.balance_increment: runs p_insert (_recon.balance_recheck_sql) for run p_run '
'in one statement with the one pass over the wallets (rows written since p_since: their keys '
're-checked; the others counted) and, on a ledger that reads parent rows, the wallets under a '
'changed parent row summed afresh up to p_bound and their state replaced. p_state_rows: state '
'rows added less removed; p_old_rows: wallet rows unchanged since; p_written: rows written '
'since; p_new_keys: those that were no wallet then.';

REVOKE EXECUTE ON FUNCTION _recon.balance_recheck(
    _recon.check_def, _recon.ledger_source, _recon.wallet_source, regtype, numeric, text, text,
    bigint, text[], xid
) FROM PUBLIC;
