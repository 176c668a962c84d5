-- recon.replica_target(): where a run read on a standby must start (run on the primary).
CREATE OR REPLACE FUNCTION recon.replica_target()
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'this server is a standby, not the primary',
                            'A run read on a standby is recorded on the primary: --database '
                            || 'must name the primary.',
                            'Pass the primary as --database and the standby as --replica.');
    END IF;
    RETURN jsonb_build_object(
        'system_identifier', (SELECT c.system_identifier::text FROM pg_control_system() AS c),
        'version', recon.version(),
        'lsn', pg_current_wal_lsn()::text,
        'taken_at', clock_timestamp());
END;
$body$;

COMMENT ON FUNCTION recon.replica_target() IS
'On the primary: the start of a run read on a streaming standby (docs/SCALING.md, "Checks on a '
'standby"): the primary''s system identifier, toolkit version and current WAL position (lsn), '
'which recon.replica_wait() and recon.replica_findings() take on the standby. Error: RC220 '
'when this server is itself a standby.';

REVOKE EXECUTE ON FUNCTION recon.replica_target() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_target() TO recon_auditor, recon_operator;
