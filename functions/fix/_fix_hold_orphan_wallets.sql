-- _recon.fix_hold_orphan_wallets(): a wallet with an orphaned payment left to a person gets no
-- balance repair.
CREATE OR REPLACE FUNCTION _recon.fix_hold_orphan_wallets(p_stage bigint)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The wallet's balance drift may be that payment (credited to the wallet, its entry lost):
    -- re-syncing the stored balance to the ledger would take the payment back from the
    -- customer, adjusting or moving would book it twice. Whatever left the orphan to a person
    -- (its strategy, broken data, units unknown, another currency), its wallet's balance steps
    -- are left to a person too.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet has an orphaned payment left to a person (step %s, %s): its '
                      || 'drift may be that payment; repair that one first', o.step,
                      o.check_name)
    FROM _recon.fix_stage AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND o.stage_id = p_stage AND o.kind = 'orphan' AND o.status = 'manual'
      AND o.wallet_source = s.wallet_source AND o.wallet_key = s.wallet_key;
$body$;

COMMENT ON FUNCTION _recon.fix_hold_orphan_wallets(bigint) IS
'Phase of _recon.fix_assess, after _recon.fix_unscaled_payments and '
'_recon.fix_payment_currency: a planned balance step (resync, adjust, move) of a wallet whose '
'orphan step in the same plan is manual becomes manual too, naming that step: the drift may '
'be that payment.';

REVOKE EXECUTE ON FUNCTION _recon.fix_hold_orphan_wallets(bigint) FROM PUBLIC;
