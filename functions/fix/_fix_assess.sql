-- _recon.fix_assess(): read (or lock) the wallets of a staged plan, re-verify, apply the limits.
CREATE OR REPLACE FUNCTION _recon.fix_assess(
    p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb, p_lock boolean
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- the stage's statistics are whatever the last ANALYZE saw (another call's plan, or none):
-- joins over it are hashed, never nested loops over thousands of steps
SET enable_nestloop = off
AS $body$
DECLARE
    v_stored jsonb;
    v_pre jsonb;
    v_drift jsonb;
    v_currency jsonb;
    v_blocking CONSTANT text :=
        '^(above|over|would|wallet|changed|ledger|no entry|cannot|the writer|the wallet)';
BEGIN
    -- 1. Every wallet the plan touches, and the offset wallets its writers post against: read,
    --    or locked FOR UPDATE in source and key order (no deadlock between two repairs).
    v_stored := _recon.fix_read_wallets(p_stage, p_lock);

    -- 2. What each check finds now for those wallets (under the locks when applying), and
    --    how much of what the plan posts each stored balance holds already: a step whose
    --    finding is gone or has changed since the run is skipped. The same checks run again
    --    after the repair (recon.fix), against this picture.
    v_pre := _recon.fix_recheck(p_stage, v_stored);
    v_drift := _recon.fix_stored_holds(p_stage);
    PERFORM _recon.fix_skip_changed(p_stage, v_pre);
    --    A balance that sums entries of another currency than its wallet's: left to a person.
    PERFORM _recon.fix_mixed_currency(p_stage);
    --    A payment whose amount may be minor units, posted as major ones: left to a person.
    PERFORM _recon.fix_unscaled_payments(p_stage);
    --    A posting of the offset wallet against itself (it nets to zero): left to a person.
    PERFORM _recon.fix_offset_self(p_stage);

    -- 3. Applied before (this plan twice, or another operator): the unique repair key says so.
    PERFORM _recon.fix_skip_applied(p_stage);

    -- 4. Limits, in each step's currency, then what would overdraw a wallet or not fit its
    --    columns. A wallet's repairs are all applied or none: after each phase that skips a
    --    step, the wallet's other steps are skipped too (_recon.fix_all_or_nothing).
    v_currency := _recon.fix_currencies(p_stage, v_stored);
    --    A payment in another currency than its wallet's: left to a person.
    PERFORM _recon.fix_payment_currency(p_stage, v_currency);
    --    A wallet whose orphaned payment is left to a person: its balance steps too.
    PERFORM _recon.fix_hold_orphan_wallets(p_stage);
    --    A posting against an offset wallet of another currency: refused as applying would.
    PERFORM _recon.fix_offset_currency(p_stage, v_currency);
    --    An entry whose currency column an INSERT writer could not fill: refused.
    PERFORM _recon.fix_entry_currency(p_stage);
    PERFORM _recon.fix_step_limits(p_stage, p_wallet_limit, p_run_limit);
    PERFORM _recon.fix_skip_over_wallet_limit(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);
    PERFORM _recon.fix_skip_overdrafts(p_stage);
    PERFORM _recon.fix_skip_passing_overdrafts(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);
    PERFORM _recon.fix_overdraft_evidence(p_stage);
    PERFORM _recon.fix_skip_unfit(p_stage);
    PERFORM _recon.fix_skip_generated(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);
    PERFORM _recon.fix_skip_over_run_limit(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);

    -- 5. Each step's stored balances before and after it, in step order within the wallet.
    PERFORM _recon.fix_stored_steps(p_stage);

    -- 6. What each step changes, stored and in the ledger, in its currency.
    PERFORM _recon.fix_step_changes(p_stage);
    RETURN jsonb_build_object('checks', v_pre, 'currency', v_currency, 'drift', v_drift, 'keys', (
        -- a source with no wallet in the plan (e.g. only a journal finding): [], not null
        SELECT COALESCE(jsonb_object_agg(k.key, (SELECT COALESCE(jsonb_agg(x), '[]'::jsonb)
                                                 FROM jsonb_object_keys(k.value) AS x)), '{}')
        FROM jsonb_each(v_stored) AS k));
END;
$body$;

COMMENT ON FUNCTION _recon.fix_assess(bigint, jsonb, jsonb, boolean) IS
'Reads a staged plan''s wallets (p_lock: locks them FOR UPDATE, by source name then '
'key), re-runs its checks for those wallets under the lock and skips what is gone or changed, '
'skips what was applied before (repair key), what is over the per-wallet or per-call limit '
'of its currency (p_wallet_limit, p_run_limit: the call''s maps per currency, else the '
'policy''s, else the check''s low_limit; no limit for a currency: no automatic repair), '
'would overdraw, at the end or on the way through a ledger-first writer (unless '
'recon.allow_overdraft() exempts the wallet or column: the step''s evidence "overdraft" says '
'so), would not fit your balance or amount columns (numeric(14,2) and 1e12, a third '
'decimal), or would write a GENERATED balance column, all of a wallet''s steps together; '
'a balance step of a wallet whose entries mix currencies, and an orphan''s post of unknown '
'units, are manual; fills stored balances before and after each step. Returns {"checks": '
'{check: {finding key: difference}} found under the lock, "keys": {wallet source: [wallet '
'keys read or locked]}}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_assess(bigint, jsonb, jsonb, boolean) FROM PUBLIC;
