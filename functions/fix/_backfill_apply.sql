-- _recon.backfill_apply(): apply a staged backfill as an audited fix.
CREATE OR REPLACE FUNCTION _recon.backfill_apply(
    p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text,
    p_reason text, p_invoker name
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_drift jsonb;
    v_created bigint;
    v_offsets jsonb;
BEGIN
    -- 1. An audited fix: the drift guards let its writes through, and judge the rest after.
    v_drift := _recon.guard_drift_save();
    PERFORM set_config('wallet_recon.fix_id', p_fix::text, TRUE);
    INSERT INTO _recon.fix_active AS a (txid, fix_id) VALUES (pg_current_xact_id(), p_fix)
    ON CONFLICT (txid) DO UPDATE SET fix_id = excluded.fix_id;
    -- 2. The offset wallet and the owners locked, each owner claimed once.
    PERFORM _recon.backfill_claim(p_stage, p_fix, p_check, p_target, p_ticket, p_reason,
                                  p_invoker);
    -- 3. The wallets created at zero, the opening entries posted through the writer, the
    --    balances moved, and the new wallets checked.
    v_created := _recon.backfill_create_wallets(p_stage, p_check, p_target);
    v_offsets := _recon.fix_post(p_stage, p_fix, p_ticket, p_reason, '{}');
    PERFORM _recon.fix_move(p_stage, v_offsets);
    PERFORM _recon.backfill_verify(p_stage, p_check.wallet_source);
    DELETE FROM _recon.fix_active AS a WHERE a.txid = pg_current_xact_id();
    PERFORM set_config('wallet_recon.fix_id', '', TRUE);
    PERFORM _recon.guard_drift_restore(v_drift);  -- the drift guards judge the rest
    RETURN v_created;
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_apply(
    bigint, bigint, _recon.check_def, jsonb, text, text, name
) IS
'Phase 3 of recon.backfill, when applying: as audited fix p_fix, claims the staged owners '
'(_recon.backfill_claim), creates their wallets at zero, posts the opening entries through '
'the writer and moves the balances (_recon.fix_post, _recon.fix_move), then verifies them '
'(_recon.backfill_verify: RC307, nothing applied). Returns how many wallets were created.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_apply(
    bigint, bigint, _recon.check_def, jsonb, text, text, name
) FROM PUBLIC;
