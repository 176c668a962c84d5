-- _recon.in_audited_fix(): is this transaction applying an audited recon.fix()?
CREATE OR REPLACE FUNCTION _recon.in_audited_fix()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The setting alone proves nothing (anyone can set it): the fix it names must have been
    -- recorded by this very transaction.
    SELECT EXISTS (
        SELECT FROM _recon.fix AS f
        WHERE f.id = NULLIF(current_setting('wallet_recon.fix_id', TRUE), '')::bigint
          AND f.txid = pg_current_xact_id()
    );
$body$;

COMMENT ON FUNCTION _recon.in_audited_fix() IS
'True inside the transaction of an applied recon.fix(), recon.reverse_fix() or '
'recon.backfill(): wallet_recon.fix_id names a _recon.fix row this transaction wrote. The '
'guards let those audited writes through; nothing else can claim to be one.';

REVOKE EXECUTE ON FUNCTION _recon.in_audited_fix() FROM PUBLIC;
