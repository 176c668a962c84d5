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
    IF v_wm.ledger_relfilenode <> (SELECT c.relfilenode FROM pg_class AS c
                                   WHERE c.oid = v_ledger.relid)
        OR v_wm.wallet_relfilenode <> (SELECT c.relfilenode FROM pg_class AS c
                                       WHERE c.oid = v_wallet.relid) THEN
        RETURN 'a table was truncated or rewritten since the watermark';
    END IF;
    v_changes := pg_stat_get_tuples_updated(v_ledger.relid)
                 + pg_stat_get_tuples_deleted(v_ledger.relid);
    IF v_changes > v_wm.ledger_changes THEN
        RETURN 'ledger entries were updated or deleted since the watermark';
    ELSIF v_changes < v_wm.ledger_changes THEN
        RETURN 'table statistics were reset since the watermark';
    END IF;
    IF pg_stat_get_tuples_deleted(v_wallet.relid) <> v_wm.wallet_deletes THEN
        RETURN 'wallets were deleted since the watermark (or statistics were reset)';
    END IF;
    IF (SELECT count(*) FROM _recon.balance_state AS s WHERE s.check_name = p_check.name)
       <> v_wm.state_rows THEN
        RETURN 'the per-wallet state was lost (a crash empties it)';
    END IF;
    IF pg_current_xact_id()::text::numeric - v_wm.snapshot_xmin::text::numeric > 1000000000 THEN
        RETURN 'the watermark is too many transactions old';
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.incremental_blocker(_recon.check_def) IS
'NULL when a balance check may run incrementally, else the reason it must run in full: no '
'integer ordering column, a partitioned table or a view, no or stale watermark, table '
'truncated or rewritten, ledger rows updated or deleted (statistics), wallets deleted, state '
'lost, watermark too old.';

REVOKE EXECUTE ON FUNCTION _recon.incremental_blocker(_recon.check_def) FROM PUBLIC;
