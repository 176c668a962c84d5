-- _recon.fix_apply(): apply a staged plan: lock, re-verify, claim, post, move, verify.
CREATE OR REPLACE FUNCTION _recon.fix_apply(
    p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name,
    p_wallet_limit jsonb, p_run_limit jsonb, p_verify boolean
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_pre jsonb;
    v_offsets jsonb;
    v_before jsonb;
    v_drift jsonb := _recon.guard_drift_save();
BEGIN
    -- the toolkit's own writes say so, for the guards on the write path
    PERFORM set_config('wallet_recon.fix_id', p_fix::text, TRUE);
    INSERT INTO _recon.fix_active AS a (txid, fix_id) VALUES (pg_current_xact_id(), p_fix)
    ON CONFLICT (txid) DO UPDATE SET fix_id = excluded.fix_id;
    -- 1. Lock the wallets in key order; re-verify every finding under the lock; limits.
    v_pre := _recon.fix_assess(p_stage, p_wallet_limit, p_run_limit, TRUE);
    --    A hold's resolution: the transaction's status and entries read again under the lock.
    PERFORM _recon.fix_lifecycle(p_stage, TRUE);
    -- 2. Claim each repair by its unique key: a repair applied by anyone before (or by a
    --    concurrent call that committed first) is not applied again.
    PERFORM _recon.fix_claim(p_stage, p_fix, p_ticket, p_reason, p_invoker);
    -- 3. Post into the ledgers, move the stored balances, and check the result.
    --    Each currency's totals must move by exactly the plan (offset wallets included), and
    --    every enabled check of those wallets find what it found before, less the repairs.
    v_before := _recon.fix_conserve(p_stage, v_pre, NULL);
    v_offsets := _recon.fix_post(p_stage, p_fix, p_ticket, p_reason, v_pre);
    PERFORM _recon.fix_move(p_stage, v_offsets);
    PERFORM _recon.fix_foreign_writes(p_stage, v_pre);  -- no wallet it did not lock
    IF p_verify THEN
        PERFORM _recon.fix_verify(p_stage, v_pre);
    END IF;
    PERFORM _recon.fix_conserve(p_stage, v_pre, v_before);
    -- what the caller's transaction writes after this is not the fix's
    DELETE FROM _recon.fix_active AS a WHERE a.txid = pg_current_xact_id();
    PERFORM set_config('wallet_recon.fix_id', '', TRUE);
    PERFORM _recon.guard_drift_restore(v_drift);  -- the drift guards judge the rest
END;
$body$;

COMMENT ON FUNCTION _recon.fix_apply(bigint, bigint, text, text, name, jsonb, jsonb, boolean)
IS
'Applies a staged plan (recon.fix, recon.reverse_fix): locks and re-verifies '
'(_recon.fix_assess), claims each step by its unique repair key into the audit, posts through '
'the writers (_recon.fix_post), moves the stored balances (_recon.fix_move), checks that each '
'currency''s totals moved by exactly the plan (_recon.fix_conserve) and, with p_verify, re-runs '
'the checks (_recon.fix_verify). Sets wallet_recon.fix_id for the transaction.';

REVOKE EXECUTE ON FUNCTION _recon.fix_apply(
    bigint, bigint, text, text, name, jsonb, jsonb, boolean
) FROM PUBLIC;
