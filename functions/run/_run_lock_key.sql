-- _recon.run_lock_key(): the session advisory lock a started run holds while its backend lives.
CREATE OR REPLACE FUNCTION _recon.run_lock_key(p_run bigint)
RETURNS bigint
LANGUAGE sql
IMMUTABLE
STRICT
SET search_path = pg_catalog, pg_temp
RETURN hashtextextended('wallet-recon run ' || p_run::text, 0);

COMMENT ON FUNCTION _recon.run_lock_key(bigint) IS
'The key of the session-level advisory lock recon.start_run() takes for a run: held while the '
'backend that runs it lives, so a run whose lock is free never finished (interrupted).';

REVOKE EXECUTE ON FUNCTION _recon.run_lock_key(bigint) FROM PUBLIC;
