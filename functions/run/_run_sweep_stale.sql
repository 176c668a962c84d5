-- _recon.run_sweep_stale(): started runs whose session is gone never finished: interrupted.
CREATE OR REPLACE FUNCTION _recon.run_sweep_stale(p_run bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_stale bigint;
    v_holder integer;
BEGIN
    FOR v_stale IN SELECT r.id FROM _recon.run AS r
                   WHERE r.status = 'running' AND r.id <> p_run ORDER BY r.id LOOP
        v_holder := _recon.run_lock_owner(v_stale);
        IF v_holder = pg_backend_pid() THEN
            -- started by this session and never finished (its reconcile failed): let it go
            PERFORM pg_advisory_unlock(_recon.run_lock_key(v_stale));
        END IF;
        IF v_holder IS NULL OR v_holder = pg_backend_pid() THEN
            UPDATE _recon.run AS r
            SET status = 'interrupted', finished_at = clock_timestamp(),
                summary = jsonb_build_object('run_id', r.id, 'status', 'interrupted',
                                             'mode', r.mode, 'checks', to_jsonb(r.checks),
                                             'marked_by_run', p_run)
            WHERE r.id = v_stale;
        END IF;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.run_sweep_stale(bigint) IS
'Phase 2 of recon.reconcile: marks interrupted (marked_by_run p_run) every other run still '
'running whose session is gone (its run lock free) or is this one (its reconcile failed; the '
'lock is let go).';

REVOKE EXECUTE ON FUNCTION _recon.run_sweep_stale(bigint) FROM PUBLIC;
