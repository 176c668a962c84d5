-- _recon.balance_watermark(): after a full balance check, the state and watermark it leaves.
CREATE OR REPLACE FUNCTION _recon.balance_watermark(
    p_check _recon.check_def, p_run bigint, p_wallets_xmin xid8
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_unsupported text := _recon.incremental_unsupported(v_ledger);
    v_bound numeric;
    v_rows bigint;
    v_cols integer := cardinality(_recon.balance_columns(p_check.options));
    v_ledger_storage jsonb;
    v_wallet_storage jsonb;
    v_parents_storage jsonb;
BEGIN
    IF v_unsupported IS NOT NULL
       OR jsonb_typeof(p_check.options -> 'ledger') = 'array' THEN
        DELETE FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
        DELETE FROM _recon.balance_state AS s WHERE s.check_name = p_check.name;
        RETURN COALESCE(v_unsupported,
                        'the check sums several ledgers, each with its own ordering');
    END IF;
    -- Below, a run that cannot set a new watermark leaves the previous one (and its state) as
    -- it was: this run changed no data, and the next incremental run judges that watermark on
    -- what changed since it was set. The state is replaced only once the new one can be built.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN format('the run is at %s isolation: entries committed below the bound while it '
                      || 'waits are not in its snapshot; no new watermark',
                      upper(current_setting('transaction_isolation')));
    END IF;
    -- The storage first: a change after this point is seen by the next run (never missed).
    v_ledger_storage := _recon.incremental_storage(v_ledger.relid);
    v_wallet_storage := _recon.incremental_storage(v_wallet.relid);
    v_parents_storage := _recon.incremental_parents_storage(v_ledger);
    -- The bound: the highest ordering id now; once every transaction open now is over, every
    -- entry up to it is settled (ids are handed out in order, by a sequence without a cache).
    EXECUTE format('SELECT max(l.%I) FROM %s AS l', v_ledger.order_column,
                   v_ledger.relid::regclass) INTO v_bound;
    v_bound := COALESCE(v_bound, -1e30);  -- an empty ledger: below any id
    IF NOT _recon.wait_for_transactions(interval '10 seconds') THEN
        RETURN 'transactions in flight did not finish within 10 s; no new watermark';
    END IF;
    DELETE FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
    DELETE FROM _recon.balance_state AS s WHERE s.check_name = p_check.name;
    EXECUTE format(
        'INSERT INTO _recon.balance_state (check_name, wallet_key, n, n_amount, n_bad, sums) '
        || 'SELECT %L, a.k::text, a.n, a.n_amount, a.n_bad, ARRAY[%s]::numeric[] FROM (%s) AS a',
        p_check.name,
        (SELECT string_agg('a.s' || i, ', ' ORDER BY i) FROM generate_series(1, v_cols) AS i),
        _recon.balance_agg_sql(p_check.options, format('l.ord <= %s', v_bound))
    );
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    INSERT INTO _recon.balance_state_mark AS g (check_name, run_id) VALUES (p_check.name, p_run)
    ON CONFLICT (check_name) DO UPDATE SET run_id = excluded.run_id;
    INSERT INTO _recon.watermark (
        check_name, run_id, compiled_md5, order_bound, snapshot_xmin, ledger_relfilenode,
        wallet_relfilenode, ledger_changes, wallet_deletes, state_rows, ledger_storage,
        wallet_storage, parents_storage
    ) VALUES (
        p_check.name, p_run, md5(p_check.compiled_sql), v_bound, p_wallets_xmin,
        (SELECT c.relfilenode FROM pg_class AS c WHERE c.oid = v_ledger.relid),
        (SELECT c.relfilenode FROM pg_class AS c WHERE c.oid = v_wallet.relid),
        (v_ledger_storage ->> 'updated')::bigint + (v_ledger_storage ->> 'deleted')::bigint,
        (v_wallet_storage ->> 'deleted')::bigint, v_rows, v_ledger_storage, v_wallet_storage,
        v_parents_storage
    );
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_watermark(_recon.check_def, bigint, xid8) IS
'After a full run of a balance check: rebuilds its per-wallet sums over the settled entries (up '
'to the highest ordering id, once the transactions in flight are over) and records the '
'watermark. Returns NULL, or why no watermark could be set.';

REVOKE EXECUTE ON FUNCTION _recon.balance_watermark(_recon.check_def, bigint, xid8)
FROM PUBLIC;
