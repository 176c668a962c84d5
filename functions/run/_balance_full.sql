-- _recon.balance_full(): a balance check's full run and its incremental state, in one pass.
CREATE OR REPLACE FUNCTION _recon.balance_full(p_check _recon.check_def, p_run bigint)
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
    v_wallet_rows bigint;
    v_null_keys bigint;
    v_wallets_xmin xid8;
    v_ledger_storage jsonb;
    v_wallet_storage jsonb;
    v_parents_storage jsonb;
    v_state regclass;
BEGIN
    -- Where no watermark can be set, the caller runs the check's view (and says why).
    IF v_unsupported IS NOT NULL
       OR jsonb_typeof(p_check.options -> 'ledger') = 'array' THEN
        DELETE FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
        PERFORM _recon.balance_state_drop(p_check.name);
        RETURN COALESCE(v_unsupported,
                        'the check sums several ledgers, each with its own ordering');
    END IF;
    -- Wallet rows without a key (NULL: a view, or a table registered with a key that may be
    -- NULL) match no entry: each is a finding of the check's view (unknown_wallet, numbered
    -- -#n when there are several), which neither the per-wallet state nor this statement's
    -- finding keys can hold. No watermark: the view runs, as for entries without a key below.
    IF _recon.wallet_keys_null(v_wallet) THEN
        DELETE FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
        PERFORM _recon.balance_state_drop(p_check.name);
        RETURN 'the wallet source has rows without a wallet key (NULL): each is a finding the '
               || 'per-wallet state cannot hold, so this check runs in full until they have one';
    END IF;
    -- Below, a run that cannot set a new watermark leaves the previous one and its state as
    -- they were: this run changed no data, and the next incremental run judges that watermark
    -- on what changed since it was set.
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
    -- entry up to it is settled (docs/INCREMENTAL.md, "Which order_by proves the bookmark").
    EXECUTE format('SELECT max(l.%I) FROM %s AS l', v_ledger.order_column,
                   v_ledger.relid::regclass) INTO v_bound;
    v_bound := COALESCE(v_bound, -1e30);  -- an empty ledger: below any id
    PERFORM _recon.ledger_bound_publish(v_ledger.relid, v_bound);  -- for recon_ledger_order
    IF NOT _recon.wait_for_transactions(interval '10 seconds') THEN
        RETURN 'transactions in flight did not finish within 10 s; no new watermark';
    END IF;
    -- where the next incremental run starts looking for written wallet and parent rows
    v_wallets_xmin := pg_snapshot_xmin(pg_current_snapshot());
    DELETE FROM _recon.watermark AS m WHERE m.check_name = p_check.name;

    -- One statement, one snapshot, one pass over the ledger: its per-wallet sums are the
    -- findings, judged by the very SQL of the check's view (FULL JOIN to the wallets), and,
    -- less the few entries above the bound (by the ordering index), the new state: a new
    -- table, keyed on the wallet key's own type, the old one live until the swap below.
    v_state := _recon.balance_state_create(p_check.name, p_run, v_ledger);
    EXECUTE _recon.balance_full_sql(p_check, v_bound, v_state)
    INTO v_rows, v_wallet_rows, v_null_keys USING p_run;
    -- Entries without a wallet key (NULL; with float sums, settled ones) are a finding of the check (unknown_wallet),
    -- which the per-wallet state cannot hold, so no incremental run could give it again: no
    -- watermark, and the findings come from the check's view, as for any full run without one.
    IF v_null_keys > 0 THEN
        DELETE FROM _recon.run_stage AS r WHERE r.run_id = p_run AND r.check_name = p_check.name;
        PERFORM _recon.balance_state_drop(p_check.name);  -- the new table and the old
        RETURN 'the ledger has entries without a wallet key (NULL): the per-wallet state cannot '
               || 'hold them, so this check runs in full until they are repaired';
    END IF;

    PERFORM _recon.balance_state_swap(p_check.name, v_state, p_run);
    INSERT INTO _recon.watermark (
        check_name, run_id, compiled_md5, order_bound, snapshot_xmin, ledger_relfilenode,
        wallet_relfilenode, ledger_changes, wallet_deletes, state_rows, ledger_storage,
        wallet_storage, parents_storage, wallet_rows
    ) VALUES (
        p_check.name, p_run, md5(p_check.compiled_sql), v_bound, v_wallets_xmin,
        (SELECT c.relfilenode FROM pg_class AS c WHERE c.oid = v_ledger.relid),
        (SELECT c.relfilenode FROM pg_class AS c WHERE c.oid = v_wallet.relid),
        (v_ledger_storage ->> 'updated')::bigint + (v_ledger_storage ->> 'deleted')::bigint,
        (v_wallet_storage ->> 'deleted')::bigint, v_rows, v_ledger_storage, v_wallet_storage,
        v_parents_storage, v_wallet_rows
    );
    PERFORM _recon.ledger_write_prune();
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_full(_recon.check_def, bigint) IS
'A full run of a balance check that also leaves its incremental state, from one pass over the '
'ledger: the settled entries (up to the highest ordering id, once the transactions in flight '
'are over) are summed once, stored as the new state and, with the entries above the bound, '
'judged by the check''s own SQL into the run''s findings. Returns NULL (findings staged, '
'watermark set), or why it cannot (nothing staged, the previous watermark kept unless the '
'ledger can never run incrementally): the caller then runs the check''s view.';

REVOKE EXECUTE ON FUNCTION _recon.balance_full(_recon.check_def, bigint) FROM PUBLIC;
