-- _recon.incremental_blocker(): why a balance check cannot run incrementally, or NULL.
CREATE OR REPLACE FUNCTION _recon.incremental_blocker(p_check _recon.check_def)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_unsupported text := _recon.incremental_unsupported(v_ledger);
    v_wm _recon.watermark;
    v_changes bigint;
    v_ledger_now jsonb;
    v_wallet_now jsonb;
BEGIN
    IF v_unsupported IS NOT NULL THEN
        RETURN v_unsupported;
    END IF;
    IF jsonb_typeof(p_check.options -> 'ledger') = 'array' THEN
        RETURN 'the check sums several ledgers, each with its own ordering';
    END IF;
    SELECT m.* INTO v_wm FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
    IF NOT FOUND THEN
        RETURN 'no watermark yet: a full run sets one';
    END IF;
    IF v_wm.compiled_md5 <> md5(p_check.compiled_sql) THEN
        RETURN 'the check changed since the watermark';
    END IF;
    -- every table under each source, as a set: a partition or child attached, detached,
    -- truncated or rewritten, or the view redefined, changes it (docs/INCREMENTAL.md)
    v_ledger_now := _recon.incremental_storage(v_ledger.relid);
    v_wallet_now := _recon.incremental_storage(v_wallet.relid);
    IF v_wm.ledger_storage IS NULL OR v_wm.wallet_storage IS NULL THEN
        RETURN 'the watermark predates storage signatures (0013): a full run sets one';
    END IF;
    IF v_wm.ledger_storage -> 'view' IS DISTINCT FROM v_ledger_now -> 'view' THEN
        RETURN 'the ledger view was redefined since the watermark';
    END IF;
    IF (SELECT array_agg(l -> 0 ORDER BY l -> 0)
        FROM jsonb_array_elements(v_wm.ledger_storage -> 'leaves') AS l)
       IS DISTINCT FROM (SELECT array_agg(l -> 0 ORDER BY l -> 0)
                         FROM jsonb_array_elements(v_ledger_now -> 'leaves') AS l)
       OR (SELECT array_agg(l -> 0 ORDER BY l -> 0)
           FROM jsonb_array_elements(v_wm.wallet_storage -> 'leaves') AS l)
          IS DISTINCT FROM (SELECT array_agg(l -> 0 ORDER BY l -> 0)
                            FROM jsonb_array_elements(v_wallet_now -> 'leaves') AS l) THEN
        RETURN 'a partition or child table was created, attached or detached since the watermark';
    END IF;
    IF v_wm.ledger_storage -> 'leaves' <> v_ledger_now -> 'leaves'
       OR v_wm.wallet_storage -> 'leaves' <> v_wallet_now -> 'leaves' THEN
        RETURN 'a table was truncated or rewritten since the watermark';
    END IF;
    -- the parent tables' rows are followed by xmin, not by statistics: only their storage
    IF v_ledger.parents IS NOT NULL
       AND v_wm.parents_storage IS DISTINCT FROM _recon.incremental_parents_storage(v_ledger) THEN
        RETURN 'a parent table was truncated or rewritten, or a partition of it created, attached '
               || 'or detached, since the watermark';
    END IF;
    v_changes := (v_ledger_now ->> 'updated')::bigint + (v_ledger_now ->> 'deleted')::bigint;
    IF v_changes > v_wm.ledger_changes THEN
        RETURN 'ledger entries were updated or deleted since the watermark';
    ELSIF v_changes < v_wm.ledger_changes THEN
        RETURN 'table statistics were reset since the watermark';
    END IF;
    IF (v_wallet_now ->> 'deleted')::bigint <> v_wm.wallet_deletes THEN
        RETURN 'wallets were deleted since the watermark (or statistics were reset)';
    END IF;
    IF v_wm.wallet_rows IS NULL THEN
        RETURN 'the watermark predates the per-wallet state of 0022: a full run sets one';
    END IF;
    -- O(1): the state's generation mark, unlogged like the state (a crash empties both)
    IF NOT EXISTS (SELECT FROM _recon.balance_state_mark AS g
                   WHERE g.check_name = p_check.name AND g.run_id = v_wm.run_id)
       OR _recon.balance_state_table(p_check.name) IS NULL THEN
        RETURN 'the per-wallet state was lost (a crash empties it; upgrading to 0032 discards it)';
    END IF;
    -- exact, unlike the statistics above (flushed up to a second late): the trigger
    -- recon_ledger_write records each UPDATE and DELETE in the writing transaction
    IF _recon.ledger_written_since(v_ledger.relid, v_wm.snapshot_xmin) IS NOT NULL THEN
        RETURN _recon.ledger_written_since(v_ledger.relid, v_wm.snapshot_xmin);
    END IF;
    IF pg_current_xact_id()::text::numeric - v_wm.snapshot_xmin::text::numeric > 1000000000 THEN
        RETURN 'the watermark is too many transactions old';
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.incremental_blocker(_recon.check_def) IS
'NULL when a balance check may run incrementally, else the reason it must run in full: no '
'integer ordering column, a view that is not simple, a wallet view, no or stale watermark, a '
'partition or child table created, attached or detached, a table truncated or rewritten, the '
'ledger view redefined, a parent table truncated, rewritten or repartitioned, ledger rows '
'updated or deleted (statistics summed over every partition), wallets deleted, state lost, '
'watermark too old.';

REVOKE EXECUTE ON FUNCTION _recon.incremental_blocker(_recon.check_def) FROM PUBLIC;
