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
    -- (Skipped, the same: found changed under the lock, it is not posted either.)
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet has an orphaned payment left to a person (step %s, %s): its '
                      || 'drift may be that payment; repair that one first', o.step,
                      o.check_name)
    FROM _recon.fix_stage AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND o.stage_id = p_stage AND o.status IN ('manual', 'skipped')
      AND o.kind IN (SELECT k.kind FROM _recon.check_kind AS k
                     WHERE 'payment' = ANY (k.cause_roles))
      AND o.wallet_source = s.wallet_source AND o.wallet_key = s.wallet_key;
    -- An open orphaned payment this plan leaves out (recon.fix(checks => ...) without its
    -- check, a list of findings): the same, whether or not the run linked it to the drift
    -- (it may be part of it).
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet has an open orphaned payment this plan leaves out (finding %s '
                      || 'of %s): its drift may be that payment; repair that one first', o.id,
                      o.check_name)
    FROM (SELECT DISTINCT ON (c.wallet_source, f.wallet_key) f.id, f.check_name,
                 c.wallet_source, f.wallet_key
          FROM recon.open_findings AS f
          JOIN _recon.check_def AS c ON c.name = f.check_name
          JOIN _recon.check_kind AS k ON k.kind = c.kind AND 'payment' = ANY (k.cause_roles)
          WHERE f.wallet_key IS NOT NULL
          ORDER BY c.wallet_source, f.wallet_key, f.id) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND o.wallet_source = s.wallet_source AND o.wallet_key = s.wallet_key
      AND NOT EXISTS (SELECT FROM _recon.fix_stage AS x
                      WHERE x.stage_id = p_stage AND x.finding_id = o.id);
$body$;

COMMENT ON FUNCTION _recon.fix_hold_orphan_wallets(bigint) IS
'Phase of _recon.fix_assess, after _recon.fix_unscaled_payments and '
'_recon.fix_payment_currency: a planned balance step (resync, adjust, move) of a wallet whose '
'orphan step (a kind with the payment cause role) in the same plan is manual or skipped, or '
'with an open orphan finding the plan leaves out, becomes manual too, naming it: the drift may '
'be that payment.';

REVOKE EXECUTE ON FUNCTION _recon.fix_hold_orphan_wallets(bigint) FROM PUBLIC;
