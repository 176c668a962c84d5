-- _recon.run_lock_owner(): which backend holds (owns) a started run's lock, if any.
CREATE OR REPLACE FUNCTION _recon.run_lock_owner(p_run bigint)
RETURNS integer
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT l.pid
    FROM pg_catalog.pg_locks AS l
    WHERE
        l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid = ((_recon.run_lock_key($1) >> 32) & 4294967295)::text::oid
        AND l.objid = (_recon.run_lock_key($1) & 4294967295)::text::oid
    ORDER BY l.pid
    LIMIT 1;
END;

COMMENT ON FUNCTION _recon.run_lock_owner(bigint) IS
'The pid of the backend holding the advisory lock of run p_run (recon.start_run() takes it), '
'or NULL: then no live session is running it.';

REVOKE EXECUTE ON FUNCTION _recon.run_lock_owner(bigint) FROM PUBLIC;
