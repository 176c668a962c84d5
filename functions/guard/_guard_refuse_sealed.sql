-- _recon.guard_refuse_sealed(): refuse a caller's accumulator for a sealed drift guard.
CREATE OR REPLACE FUNCTION _recon.guard_refuse_sealed(p_guard integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF _recon.guard_sealed(p_guard) THEN
        PERFORM _recon.fail(
            'RC410', format('drift guard %s is in block mode: its sums are sealed', p_guard),
            'A block-mode drift guard keeps what a transaction wrote where only its own '
            || 'trigger functions write; no accumulator is taken from a caller.',
            'Post through the ledger and move the balances with it; docs/GUARDS.md.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_refuse_sealed(integer) IS
'RC410 when drift guard p_guard is sealed (_recon.guard_sealed: block mode): '
'_recon_guard.drift_spill and drift_verdict, which any role may call, take no accumulator '
'from a caller for such a guard.';

REVOKE EXECUTE ON FUNCTION _recon.guard_refuse_sealed(integer) FROM PUBLIC;
