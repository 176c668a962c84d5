-- recon.replica_wait(): wait on a standby until it has replayed the primary's position.
CREATE OR REPLACE FUNCTION recon.replica_wait(target jsonb, max_lag interval DEFAULT '1 minute')
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_started timestamptz := clock_timestamp();
    v_lsn pg_lsn;
    v_replayed pg_lsn;
BEGIN
    PERFORM _recon.replica_standby(target);
    IF max_lag IS NULL OR max_lag < interval '0' THEN
        PERFORM _recon.fail('RC223', format('bad max_lag %s', COALESCE(max_lag::text, 'NULL')),
                            'The lag bound is how long the run waits for the standby.',
                            'Pass an interval of zero or more, e.g. ''1 minute''.');
    END IF;
    v_lsn := (target ->> 'lsn')::pg_lsn;
    LOOP
        v_replayed := pg_last_wal_replay_lsn();
        EXIT WHEN v_replayed >= v_lsn;
        IF clock_timestamp() - v_started >= max_lag THEN
            PERFORM _recon.fail(
                'RC223', 'the replica lags past the bound',
                format('The standby has replayed up to %s, the primary was at %s when the run '
                       || 'started: %s bytes behind after waiting %s (max_lag %s); its last '
                       || 'replayed transaction committed at %s (%s ago); replay is %s.',
                       v_replayed, v_lsn, pg_wal_lsn_diff(v_lsn, v_replayed),
                       date_trunc('millisecond', clock_timestamp() - v_started), max_lag,
                       pg_last_xact_replay_timestamp(),
                       date_trunc('millisecond', clock_timestamp()
                                                 - pg_last_xact_replay_timestamp()),
                       pg_get_wal_replay_pause_state()),
                'Nothing was recorded. Run again when the standby has caught up '
                || '(pg_stat_replication on the primary), raise --max-lag, or run on the '
                || 'primary.');
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN jsonb_build_object(
        'target_lsn', v_lsn::text, 'replayed_lsn', v_replayed::text,
        'waited_ms', round(extract(EPOCH FROM clock_timestamp() - v_started) * 1000, 1));
END;
$body$;

COMMENT ON FUNCTION recon.replica_wait(jsonb, interval) IS
'On a hot standby: waits until it has replayed the primary''s WAL position of target (what '
'recon.replica_target() returned on the primary), at most max_lag. Returns how long it waited. '
'Errors: RC220 not a standby, RC221 a standby of another primary, RC222 another toolkit '
'version, RC223 still behind after max_lag (the lag in the DETAIL) or a bad max_lag, RC224 a '
'malformed target.';

REVOKE EXECUTE ON FUNCTION recon.replica_wait(jsonb, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_wait(jsonb, interval) TO recon_auditor, recon_operator;
