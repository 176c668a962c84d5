-- recon.replica_target(): where a run read on a standby must start (run on the primary).
CREATE OR REPLACE FUNCTION recon.replica_target(valid_for interval DEFAULT '1 hour')
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_lsn pg_lsn;
    v_target _recon.replica_target;
BEGIN
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'this server is a standby, not the primary',
                            'A run read on a standby is recorded on the primary: --database '
                            || 'must name the primary.',
                            'Pass the primary as --database and the standby as --replica.');
    END IF;
    IF valid_for IS NULL OR valid_for <= interval '0' THEN
        PERFORM _recon.fail('RC225', format('bad valid_for %s',
                                            COALESCE(valid_for::text, 'NULL')),
                            'A target is valid for a while after it is taken, then refused.',
                            'Pass a positive interval, e.g. ''1 hour'' (the default).');
    END IF;
    -- The insert position, not the write position: a transaction committed asynchronously
    -- (synchronous_commit = off) is visible here before its WAL is written.
    v_lsn := pg_current_wal_insert_lsn();
    -- The target is recorded, single-use and bound to its caller: recon.record_replica_run()
    -- takes a result only for it. Recording it also gives this transaction an id, so that its
    -- commit writes a commit record after that position, which is flushed (at once, or by the
    -- WAL writer when commits are asynchronous) and so sent to the standby: the position is
    -- reached even when the last WAL before it is not a commit and nothing else is written.
    INSERT INTO _recon.replica_target
        (token, lsn, system_identifier, toolkit_version, taken_by, taken_at, expires_at)
    VALUES (gen_random_uuid(), v_lsn,
            (SELECT c.system_identifier::text FROM pg_control_system() AS c), recon.version(),
            CASE WHEN current_setting('role') = 'none' THEN session_user
                 ELSE current_setting('role') END,
            clock_timestamp(), clock_timestamp() + valid_for)
    RETURNING * INTO v_target;
    -- what is recorded stays small: targets used or expired a day ago go
    DELETE FROM _recon.replica_target AS t
    WHERE t.expires_at < clock_timestamp() - interval '1 day';
    RETURN jsonb_build_object(
        'token', v_target.token::text,
        'system_identifier', v_target.system_identifier,
        -- a standby replays the whole cluster: the same database has the same oid there
        'database', (SELECT d.oid::text FROM pg_catalog.pg_database AS d
                     WHERE d.datname = current_database()),
        'database_name', current_database(),
        'version', v_target.toolkit_version,
        'lsn', v_target.lsn::text,
        'taken_at', v_target.taken_at,
        'expires_at', v_target.expires_at);
END;
$body$;

COMMENT ON FUNCTION recon.replica_target(interval) IS
'On the primary: the start of a run read on a streaming standby (docs/SCALING.md, "Checks on a '
'standby"): the primary''s system identifier, database (oid and name), toolkit version and '
'current WAL insert position '
'(lsn: every transaction visible now committed at or before it), which recon.replica_wait() '
'and recon.replica_findings() take on the standby, and a random token. The target is recorded '
'(_recon.replica_target): recon.record_replica_run() records one result of it, from the same '
'caller, within valid_for (default 1 hour). Errors: RC220 when this server is itself a '
'standby, RC225 a valid_for not positive.';

REVOKE EXECUTE ON FUNCTION recon.replica_target(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_target(interval) TO recon_auditor, recon_operator;
