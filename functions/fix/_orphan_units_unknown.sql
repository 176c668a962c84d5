-- _recon.orphan_units_unknown(): whether an orphan check reads payment amounts of unknown units.
CREATE OR REPLACE FUNCTION _recon.orphan_units_unknown(p_check text)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- An orphan check without "scale" reads a payment's amount as stored. Where the ledger or
    -- the wallets keep minor units, that amount may be cents (Stripe's payment_intent.amount):
    -- posting it as major units would post 100 times the payment. Nothing tells which.
    SELECT EXISTS (
        SELECT FROM _recon.check_def AS c
        JOIN _recon.ledger_source AS l ON l.name = c.options ->> 'ledger'
        JOIN _recon.wallet_source AS w ON w.name = l.wallet_source
        WHERE c.name = p_check AND c.kind = 'orphan' AND NOT c.options ? 'scale'
          AND (l.amount_scale IS NOT NULL OR w.balance_scale IS NOT NULL));
$body$;

COMMENT ON FUNCTION _recon.orphan_units_unknown(text) IS
'True when check p_check is an orphan check that declares no "scale" while its ledger or the '
'ledger''s wallets keep minor units: the payments'' amounts it reads may be minor units, so '
'nothing it finds is posted or resynced without a person (_recon.fix_unscaled_payments).';

REVOKE EXECUTE ON FUNCTION _recon.orphan_units_unknown(text) FROM PUBLIC;
