-- _recon.replica_claim(): the recorded target a result names, marked used, or RC225.
CREATE OR REPLACE FUNCTION _recon.replica_claim(p_target jsonb)
RETURNS _recon.replica_target
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_who name := CASE WHEN current_setting('role') = 'none' THEN session_user
                       ELSE current_setting('role') END;
    v_token uuid := (p_target ->> 'token')::uuid;
    v_claimed _recon.replica_target;
    v_found _recon.replica_target;
    v_why text;
BEGIN
    -- One statement claims it: of two transactions submitting the same target, the second
    -- waits for the first's row lock, then finds it used (READ COMMITTED re-reads the row;
    -- REPEATABLE READ and SERIALIZABLE fail with a serialization error): exactly one records.
    UPDATE _recon.replica_target AS t SET used_at = clock_timestamp()
    WHERE t.token = v_token AND t.used_at IS NULL AND t.taken_by = v_who
      AND t.expires_at > clock_timestamp()
      AND t.lsn = (p_target ->> 'lsn')::pg_lsn
      AND t.system_identifier = p_target ->> 'system_identifier'
      AND t.toolkit_version = p_target ->> 'version'
    RETURNING t.* INTO v_claimed;
    IF FOUND THEN
        RETURN v_claimed;
    END IF;
    SELECT t.* INTO v_found FROM _recon.replica_target AS t WHERE t.token = v_token;
    v_why := CASE
        WHEN v_found.token IS NULL THEN 'this primary handed out no such target (or it expired '
                                        || 'over a day ago)'
        WHEN v_found.taken_by <> v_who THEN format('it was taken by %s, not %s',
                                                   v_found.taken_by, v_who)
        WHEN v_found.used_at IS NOT NULL THEN format('it was used already, at %s%s',
            v_found.used_at, COALESCE(' (run ' || v_found.run_id || ')', ''))
        WHEN v_found.expires_at <= clock_timestamp() THEN format(
            'it expired at %s (taken at %s)', v_found.expires_at, v_found.taken_at)
        ELSE format('the result names another position, cluster or version than the target '
                    || 'recorded (lsn %s, system identifier %s, version %s)', v_found.lsn,
                    v_found.system_identifier, v_found.toolkit_version) END;
    PERFORM _recon.fail('RC225', 'the result''s target is not usable',
                        format('Target %s: %s. Nothing was recorded.',
                               p_target ->> 'token', v_why),
                        'Take a new target (recon.replica_target(), or run wallet-recon check '
                        || '--replica again): a target is recorded once, by whoever took it, '
                        || 'before it expires.');
    RETURN NULL;  -- not reached: _recon.fail raises
END;
$body$;

COMMENT ON FUNCTION _recon.replica_claim(jsonb) IS
'For recon.record_replica_run: the target p_target names (its token), as recon.replica_target() '
'recorded it, marked used in the caller''s transaction. RC225, naming why, when this primary '
'handed out no such target, another role took it, it was used already (a replay; of two '
'concurrent submits exactly one claims it), it expired, or the result altered its position, '
'cluster or version.';

REVOKE EXECUTE ON FUNCTION _recon.replica_claim(jsonb) FROM PUBLIC;
