-- _recon.fix_hold_orphan_wallets(): a wallet whose drift an orphaned payment or a duplicate may
-- be gets no balance repair while that finding is not repaired in the same plan.
CREATE OR REPLACE FUNCTION _recon.fix_hold_orphan_wallets(p_stage bigint)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The wallet's balance drift may be that payment (credited to the wallet, its entry lost)
    -- or that duplicate (posted twice, credited once): re-syncing the stored balance to the
    -- ledger would take the payment back from the customer or pay the duplicate out; adjusting
    -- or moving would book it twice. Whatever left it to a person (its strategy, broken data,
    -- units unknown, another currency), its wallet's balance steps are left to a person too
    -- (one skipped skips them: a wallet's repairs are all applied or none).
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet has %s left to a person (step %s, %s): its drift may be '
                      || 'that %s; repair that one first',
                      CASE o.kind WHEN 'orphan' THEN 'an orphaned payment'
                                  ELSE format('a %s finding', o.kind) END,
                      o.step, o.check_name,
                      CASE o.kind WHEN 'orphan' THEN 'payment' ELSE o.kind END)
    FROM _recon.fix_stage AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND o.stage_id = p_stage AND o.status = 'manual'
      AND o.kind IN (SELECT k.kind FROM _recon.check_kind AS k
                     WHERE k.cause_roles && ARRAY['payment', 'amount'])
      AND o.wallet_source = s.wallet_source AND o.wallet_key = s.wallet_key;
    -- An open one this plan leaves out (a run of the balance check alone, whose causes name
    -- neither; recon.fix(checks => ...) without its check; a list of findings): the same,
    -- whether or not a run linked it to the drift (it may be part of it).
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet has an open %s this plan leaves out (finding %s of %s): its '
                      || 'drift may be that %s; repair that one first',
                      CASE o.kind WHEN 'orphan' THEN 'orphaned payment'
                                  ELSE format('%s finding', o.kind) END,
                      o.id, o.check_name,
                      CASE o.kind WHEN 'orphan' THEN 'payment' ELSE o.kind END)
    FROM (SELECT DISTINCT ON (c.wallet_source, f.wallet_key) f.id, f.check_name, c.kind,
                 c.wallet_source, f.wallet_key
          FROM recon.open_findings AS f
          JOIN _recon.check_def AS c ON c.name = f.check_name
          JOIN _recon.check_kind AS k
              ON k.kind = c.kind AND k.cause_roles && ARRAY['payment', 'amount']
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
'_recon.fix_payment_currency: a planned balance step (resync, adjust, move) of a wallet with an '
'orphan or a duplicate finding (kinds with the payment or amount cause role) that the same plan '
'leaves to a person, or an open one the plan leaves out, becomes manual too, naming '
'it: the drift may be that payment or that duplicate.';

REVOKE EXECUTE ON FUNCTION _recon.fix_hold_orphan_wallets(bigint) FROM PUBLIC;
