-- _recon.balance_increment(): a balance check's findings from its watermark and what changed.
CREATE OR REPLACE FUNCTION _recon.balance_increment(p_check _recon.check_def, p_run bigint)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_reason text := _recon.incremental_blocker(p_check);
    v_key_type regtype := _recon.column_type(v_wallet.relid, v_wallet.key_column);
    v_cols integer := cardinality(_recon.balance_columns(p_check.options));
    v_wm _recon.watermark;
    v_bound numeric;
    v_delta text[];
    v_inserted bigint;
    v_wallets_xmin xid8;
    v_since xid;
    v_sums text;
    v_insert text;
    v_state_rows bigint;
    v_old_rows bigint;
    v_new_keys text[];
    v_members bigint;
    v_written bigint;
    v_null_key boolean;
BEGIN
    IF v_reason IS NOT NULL THEN
        RETURN v_reason;
    END IF;
    -- a wallet row without a key (NULL) since the watermark: the check runs in full, from its
    -- view (_recon.balance_full says why)
    IF _recon.wallet_keys_null(v_wallet) THEN
        RETURN 'the wallet source has rows without a wallet key (NULL)';
    END IF;
    -- One snapshot for the whole transaction cannot see the entries committed while the run
    -- waits for the transactions in flight: the new bound would cover entries it never read.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN format('the run is at %s isolation: it cannot read the entries committed '
                      || 'below its bound while it waits (incremental mode needs READ COMMITTED)',
                      upper(current_setting('transaction_isolation')));
    END IF;
    SELECT m.* INTO v_wm FROM _recon.watermark AS m WHERE m.check_name = p_check.name;

    -- 1. The new bound, settled: the highest id now, once every transaction open now is over.
    EXECUTE format('SELECT max(l.%I) FROM %s AS l', v_ledger.order_column,
                   v_ledger.relid::regclass) INTO v_bound;
    v_bound := GREATEST(v_bound, v_wm.order_bound);
    PERFORM _recon.ledger_bound_publish(v_ledger.relid, v_bound);  -- for recon_ledger_order
    -- A transaction still open after a second (a session idle in a transaction, a long
    -- writer): the bound stays where it was, settled; every entry above it is summed on the
    -- fly in step 3, as entries above a new bound are. Incremental all the same, never full.
    IF NOT _recon.wait_for_transactions(interval '1 second') THEN
        v_bound := v_wm.order_bound;
    END IF;
    -- An entry without a wallet key (NULL) since the watermark: a finding the per-wallet state
    -- cannot hold (_recon.balance_full), read by the ordering index from the old bound on.
    EXECUTE format('SELECT EXISTS (SELECT FROM (%s) AS x)', _recon.balance_agg_sql(
        p_check.options, format('l.ord > %s AND l.wallet IS NULL', v_wm.order_bound)))
    INTO v_null_key;
    IF v_null_key THEN
        RETURN 'an entry without a wallet key (NULL) was added since the watermark';
    END IF;
    -- Where the next run starts looking for written wallet and parent rows: taken before
    -- anything below reads them (the sums of step 2 join parent rows too).
    v_wallets_xmin := pg_snapshot_xmin(pg_current_snapshot());
    v_since := (v_wm.snapshot_xmin::text::numeric % 4294967296)::bigint::text::xid;

    -- 2. The settled entries between the two bounds, added to the per-wallet sums.
    SELECT string_agg('a.s' || i, ', ' ORDER BY i) INTO v_sums FROM generate_series(1, v_cols) AS i;
    SELECT s.p_delta, s.p_inserted INTO v_delta, v_inserted
    FROM _recon.balance_add_settled(p_check, v_wm.order_bound, v_bound, v_sums) AS s;

    -- 3. Re-check, in one statement (one snapshot), every wallet that may have changed: new
    --    settled entries (step 2), entries above the new bound, a wallet row written since the
    --    last run read the wallets (xmin), every open finding, and, for a ledger that reads
    --    parent rows, every wallet with a leg under a parent row written since then (xmin
    --    again, then down each link by index: pk). Judged by the same SQL as a full run
    --    (_recon.balance_findings_sql), from sums = state + entries above the bound; a wallet
    --    under a changed parent row is summed afresh up to the bound (pa), and its state
    --    replaced by that in the same statement, so what it is judged on and what the next
    --    run starts from are read in this one snapshot.
    -- (without parents the statement is the plain INSERT it always was: no pk, no pa)
    v_insert := _recon.balance_recheck_sql(p_check, v_ledger, v_wallet, v_key_type, v_bound,
                                           v_cols);
    SELECT r.p_state_rows, r.p_old_rows, r.p_written, r.p_new_keys
    INTO v_state_rows, v_old_rows, v_written, v_new_keys
    FROM _recon.balance_recheck(p_check, v_ledger, v_wallet, v_key_type, v_bound, v_sums,
                                v_insert, p_run, v_delta, v_since) AS r;
    -- Wallets then = those unchanged since + those written since that were wallets then;
    -- any other wallet of then is gone: its entries, if any, are under no wallet now, and
    -- nothing re-checked them. The run is then full (and says why).
    v_members := v_written - cardinality(v_new_keys);
    IF v_wm.wallet_rows <> v_old_rows + v_members THEN
        DELETE FROM _recon.run_stage AS s
        WHERE s.run_id = p_run AND s.check_name = p_check.name;
        RETURN format('%s wallet(s) deleted, or their key changed, since the watermark',
                      v_wm.wallet_rows - v_old_rows - v_members);
    END IF;
    -- An UPDATE or DELETE of an old entry committed before the re-check's snapshot: read here,
    -- in a later snapshot, so none is missed (one committed later is seen by the next run).
    IF _recon.ledger_written_since(v_ledger.relid, v_wm.snapshot_xmin) IS NOT NULL THEN
        DELETE FROM _recon.run_stage AS s
        WHERE s.run_id = p_run AND s.check_name = p_check.name;
        RETURN _recon.ledger_written_since(v_ledger.relid, v_wm.snapshot_xmin);
    END IF;
    -- the wallets now, for the next run: the keys written since that were no wallet then
    IF cardinality(v_new_keys) > 0 THEN
        EXECUTE format('INSERT INTO %s AS s (k, n, n_amount, n_bad, sums, has_wallet) '
                       || 'SELECT x.k::%s, 0, 0, 0, ARRAY[]::numeric[], TRUE '
                       || 'FROM unnest($1) AS x (k) ON CONFLICT (k) DO UPDATE SET has_wallet = TRUE',
                       _recon.balance_state_table(p_check.name),
                       _recon.column_type(_recon.balance_state_table(p_check.name), 'k'))
        USING v_new_keys;
    END IF;

    UPDATE _recon.balance_state_mark AS g SET run_id = p_run WHERE g.check_name = p_check.name;
    UPDATE _recon.watermark AS m
    SET run_id = p_run, order_bound = v_bound, snapshot_xmin = v_wallets_xmin,
        state_rows = m.state_rows + v_inserted + v_state_rows, taken_at = now(),
        wallet_rows = v_old_rows + v_written
    WHERE m.check_name = p_check.name;
    PERFORM _recon.ledger_write_prune();
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_increment(_recon.check_def, bigint) IS
'Runs a balance check incrementally into the current run''s findings and advances its '
'watermark; returns NULL, or the reason it cannot (the caller then runs the check in full). '
'Its result equals a full run''s: docs/INCREMENTAL.md gives the argument and its limits.';

REVOKE EXECUTE ON FUNCTION _recon.balance_increment(_recon.check_def, bigint) FROM PUBLIC;
