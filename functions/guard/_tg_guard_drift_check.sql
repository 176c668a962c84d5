-- _recon.tg_guard_drift_check(): the commit-time check of a drift guard enabled before
-- migration 0008 (a guard enabled since has its own, _recon.tg_drift_<id>_check()).
CREATE OR REPLACE FUNCTION _recon.tg_guard_drift_check()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_acc pg_catalog.text;
BEGIN
    -- Deferred constraint trigger, arguments: guard id, the accumulator's setting. Every row a
    -- transaction wrote queued one call; the first judges the whole transaction and empties the
    -- accumulator, the others find it empty. So does the first when the transaction's rows
    -- cancelled each other out (stored changes equal to ledger effects): the usual case, one
    -- expression. (Every name and operator qualified, as in the row trigger functions.)
    IF COALESCE(pg_catalog.current_setting(tg_argv[1], TRUE), '') OPERATOR(pg_catalog.=) '' THEN
        RETURN NULL;
    END IF;
    v_acc := pg_catalog.current_setting(tg_argv[1], TRUE);
    PERFORM pg_catalog.set_config(tg_argv[1], '', TRUE);
    PERFORM _recon.guard_drift_verdict(tg_argv[0]::pg_catalog.int4, v_acc);
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_drift_check() IS
'Commit-time check of a drift guard enabled before migration 0008 (deferred constraint trigger '
'on its wallet table and ledger; arguments: guard id, setting; a guard enabled since has its '
'own _recon.tg_drift_<id>_check()): when the transaction-local setting its row triggers '
'filled is not empty, _recon.guard_drift_verdict() judges it (stored changes against ledger '
'effects per wallet and balance column, with tolerance; RC401 or a warning). When the rows '
'balanced each other, one expression and no query; never reads a wallet''s history.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_drift_check() FROM PUBLIC;
