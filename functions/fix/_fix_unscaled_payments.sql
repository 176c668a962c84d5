-- _recon.fix_unscaled_payments(): an orphaned payment whose amount's units are not declared,
-- on a ledger or wallets of minor units, is left to a person.
CREATE OR REPLACE FUNCTION _recon.fix_unscaled_payments(p_stage bigint)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A payment of unknown units (_recon.orphan_units_unknown) may be cents read as dollars:
    -- a person decides, by declaring the payments' scale on the check.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the orphan check %s reads payment amounts as stored, and ledger %s keeps '
                      || 'minor units: declare the payments'' scale (recon.register_check(..., '
                      || '{"scale": 2, ...}) for cents), or post it by hand', s.check_name,
                      (SELECT c.options ->> 'ledger' FROM _recon.check_def AS c
                       WHERE c.name = s.check_name))
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.strategy = 'post_missing'
      AND _recon.orphan_units_unknown(s.check_name);
    -- (A wallet whose orphan in this plan is left to a person: _recon.fix_hold_orphan_wallets,
    -- once every phase that may leave one has run.)
    -- An open finding of an orphan check of unknown units on the wallet that is not in this
    -- plan at all (recon.fix(checks => the balance check only)): its drift may be that payment.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet has an orphaned payment of unknown units (finding %s of %s, '
                      || 'not in this plan): its drift may be that payment; declare the '
                      || 'payments'' scale on the check and repair that one first', f.id,
                      f.check_name)
    FROM _recon.finding AS f, _recon.check_def AS c, _recon.ledger_source AS l
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND f.wallet_key = s.wallet_key AND f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND c.name = f.check_name AND l.name = c.options ->> 'ledger'
      AND l.wallet_source = s.wallet_source AND _recon.orphan_units_unknown(f.check_name)
      AND NOT EXISTS (SELECT FROM _recon.fix_stage AS o
                      WHERE o.stage_id = p_stage AND o.finding_id = f.id);
$body$;

COMMENT ON FUNCTION _recon.fix_unscaled_payments(bigint) IS
'Phase of _recon.fix_assess: a planned post_missing of an orphan check that declares no '
'"scale" becomes manual where the ledger or its wallets keep minor units (a scale): the '
'payment''s amount, read as stored, may be minor units, and posting it as major units would '
'post 100 times the payment. A wallet''s balance steps (resync, adjust, move) become manual '
'when such an orphan finding is open on the wallet outside the plan (the drift may be that '
'payment); for one in the plan, _recon.fix_hold_orphan_wallets does it.';

REVOKE EXECUTE ON FUNCTION _recon.fix_unscaled_payments(bigint) FROM PUBLIC;
