-- _recon.replica_increment_settle(): on the primary, where a balance check read on a standby
-- starts and ends its increment (before the target's position is taken).
CREATE OR REPLACE FUNCTION _recon.replica_increment_settle(p_check _recon.check_def)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_reason text := _recon.incremental_blocker(p_check);
    v_wm _recon.watermark;
    v_bound numeric;
BEGIN
    -- What a run on the primary checks before it starts (_recon.balance_increment); checked
    -- again, under the reconcile lock, when the result is recorded.
    IF v_reason IS NOT NULL THEN
        RETURN jsonb_build_object('why_full', v_reason);
    END IF;
    IF v_ledger.parents IS NOT NULL THEN
        RETURN jsonb_build_object('why_full',
            'the ledger reads parent rows: read on a standby it runs in full (a wallet under a '
            || 'changed parent row is summed afresh in the statement that replaces its state, '
            || 'which only the primary can write)');
    END IF;
    SELECT m.* INTO v_wm FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
    -- step 1 of _recon.balance_increment: the highest id now, published; the caller then
    -- waits for every transaction open now, and takes the position after that
    EXECUTE format('SELECT max(l.%I) FROM %s AS l', v_ledger.order_column,
                   v_ledger.relid::regclass) INTO v_bound;
    v_bound := GREATEST(v_bound, v_wm.order_bound);
    IF v_bound IS NULL THEN
        RETURN jsonb_build_object('why_full', 'the ledger has no ordering id yet');
    END IF;
    PERFORM _recon.ledger_bound_publish(v_ledger.relid, v_bound);
    RETURN jsonb_build_object(
        'run_id', v_wm.run_id,
        'order_bound', v_wm.order_bound,
        'new_bound', v_bound,
        'snapshot_xmin', v_wm.snapshot_xmin::text,
        'wallet_rows', v_wm.wallet_rows);
END;
$body$;

COMMENT ON FUNCTION _recon.replica_increment_settle(_recon.check_def) IS
'For recon.replica_increment_target, on the primary: why balance check p_check cannot run '
'incrementally read on a standby ({why_full}: _recon.incremental_blocker, or a ledger that reads '
'parent rows), else the watermark it starts from (run_id, order_bound, snapshot_xmin, '
'wallet_rows) and its new bound (new_bound: the highest ordering id now, published as a run on '
'the primary publishes it; the caller waits for the transactions open now).';

REVOKE EXECUTE ON FUNCTION _recon.replica_increment_settle(_recon.check_def) FROM PUBLIC;
