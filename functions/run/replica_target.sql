-- recon.replica_target(): where a run read on a standby must start (run on the primary).
CREATE OR REPLACE FUNCTION recon.replica_target()
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_lsn pg_lsn;
BEGIN
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'this server is a standby, not the primary',
                            'A run read on a standby is recorded on the primary: --database '
                            || 'must name the primary.',
                            'Pass the primary as --database and the standby as --replica.');
    END IF;
    -- The insert position, not the write position: a transaction committed asynchronously
    -- (synchronous_commit = off) is visible here before its WAL is written.
    v_lsn := pg_current_wal_insert_lsn();
    -- This transaction then takes a transaction id, so that its commit writes a commit record
    -- after that position, which is flushed (at once, or by the WAL writer when commits are
    -- asynchronous) and so sent to the standby: the position is reached even when the last
    -- WAL before it is not a commit and nothing else is written.
    PERFORM pg_current_xact_id();
    RETURN jsonb_build_object(
        'system_identifier', (SELECT c.system_identifier::text FROM pg_control_system() AS c),
        'version', recon.version(),
        'lsn', v_lsn::text,
        'taken_at', clock_timestamp());
END;
$body$;

COMMENT ON FUNCTION recon.replica_target() IS
'On the primary: the start of a run read on a streaming standby (docs/SCALING.md, "Checks on a '
'standby"): the primary''s system identifier, toolkit version and current WAL insert position '
'(lsn: every transaction visible now committed at or before it), '
'which recon.replica_wait() and recon.replica_findings() take on the standby. Error: RC220 '
'when this server is itself a standby.';

REVOKE EXECUTE ON FUNCTION recon.replica_target() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_target() TO recon_auditor, recon_operator;
