-- _recon_guard.drift_verdict(): judge a drift guard's accumulator at commit.
CREATE OR REPLACE FUNCTION _recon_guard.drift_verdict(p_guard integer, p_acc text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    PERFORM _recon.guard_refuse_sealed(p_guard);
    PERFORM _recon.guard_drift_verdict(p_guard, p_acc);
END;
$body$;

COMMENT ON FUNCTION _recon_guard.drift_verdict(integer, text) IS
'Called at commit by a drift guard''s check function (_recon.tg_drift_<id>_check), as the '
'writer, when the accumulator holds more than balanced records: _recon.guard_drift_verdict() '
'(RC401 in block mode; a warning, an alert and a notification in warn mode). Any role may call '
'it, on its own transaction; docs/SECURITY.md says what that allows. RC410 for a guard in '
'block mode (its sums are sealed in _recon.guard_spill, judged by its own check).';

REVOKE EXECUTE ON FUNCTION _recon_guard.drift_verdict(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _recon_guard.drift_verdict(integer, text) TO PUBLIC;
