-- _recon.in_audited_fix(): is this transaction applying an audited recon.fix()?
CREATE OR REPLACE FUNCTION _recon.in_audited_fix()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The setting alone proves nothing (anyone can set it), nor does a fix this transaction
    -- applied earlier: the fix it names must be writing right now (_recon.fix_active holds a
    -- row from the start to the end of its apply step).
    SELECT EXISTS (
        SELECT FROM _recon.fix_active AS a
        WHERE a.txid = pg_current_xact_id()
          AND a.fix_id = NULLIF(current_setting('wallet_recon.fix_id', TRUE), '')::bigint
    );
$body$;

COMMENT ON FUNCTION _recon.in_audited_fix() IS
'True inside the transaction of an applied recon.fix(), recon.reverse_fix() or '
'recon.backfill(), while it writes: wallet_recon.fix_id names the fix _recon.fix_active holds '
'for this transaction. The guards let those audited writes through; nothing else can claim to '
'be one, not even a write after the fix in the same transaction.';

REVOKE EXECUTE ON FUNCTION _recon.in_audited_fix() FROM PUBLIC;
