-- _recon.replica_standby(): this server is a standby of the primary a target was taken on.
CREATE OR REPLACE FUNCTION _recon.replica_standby(p_target jsonb)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_system text := (SELECT c.system_identifier::text FROM pg_control_system() AS c);
    v_version text := (SELECT m.toolkit_version FROM _recon.migrator_meta AS m);
BEGIN
    IF jsonb_typeof(p_target) IS DISTINCT FROM 'object'
       OR jsonb_typeof(p_target -> 'system_identifier') IS DISTINCT FROM 'string'
       OR jsonb_typeof(p_target -> 'version') IS DISTINCT FROM 'string'
       OR jsonb_typeof(p_target -> 'database') IS DISTINCT FROM 'string'
       OR jsonb_typeof(p_target -> 'lsn') IS DISTINCT FROM 'string'
       OR (p_target ->> 'lsn') !~ '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$' THEN
        PERFORM _recon.fail('RC224', 'not a target taken by recon.replica_target()',
                            format('Got %s.', left(COALESCE(p_target::text, 'NULL'), 200)),
                            'Pass what recon.replica_target() returned on the primary.');
    END IF;
    -- Another cluster first: a server that is no standby of this primary is that, whatever
    -- else it is.
    IF v_system IS DISTINCT FROM p_target ->> 'system_identifier' THEN
        PERFORM _recon.fail('RC221', 'the replica is not a standby of this primary',
                            format('The replica''s system identifier is %s, the primary''s %s: '
                                   || 'they are different clusters.',
                                   v_system, p_target ->> 'system_identifier'),
                            'Name a streaming standby of the --database server as --replica '
                            || '(SELECT pg_is_in_recovery() is true there).');
    END IF;
    -- Another database of that standby: its data is not the primary's database's (a tenant
    -- per database, a restored copy), whatever its registrations.
    IF (SELECT d.oid::text FROM pg_catalog.pg_database AS d WHERE d.datname = current_database())
       IS DISTINCT FROM p_target ->> 'database' THEN
        PERFORM _recon.fail('RC221', 'the replica is another database than the primary''s',
                            format('The replica''s database is %s (oid %s), the primary''s %s '
                                   || '(oid %s).', current_database(),
                                   (SELECT d.oid FROM pg_catalog.pg_database AS d
                                    WHERE d.datname = current_database()),
                                   COALESCE(p_target ->> 'database_name', '?'),
                                   p_target ->> 'database'),
                            'Name the same database in the --replica URL as in --database '
                            || '(its dbname).');
    END IF;
    IF NOT pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'the replica is not a standby',
                            'pg_is_in_recovery() is false on it: it is the primary itself, or '
                            || 'a promoted standby.',
                            'Name a streaming hot standby as --replica; without --replica the '
                            || 'check runs on the primary.');
    END IF;
    IF v_version IS DISTINCT FROM p_target ->> 'version' THEN
        PERFORM _recon.fail('RC222', 'the replica''s wallet-recon version differs from the '
                                     || 'primary''s',
                            format('The replica has %s, the primary %s.',
                                   COALESCE(v_version, '(none)'), p_target ->> 'version'),
                            'Wait until the standby has replayed the upgrade (or resume its '
                            || 'replay: SELECT pg_wal_replay_resume()), then run again.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.replica_standby(jsonb) IS
'Checks that this server is a hot standby of the primary recon.replica_target() was taken on, '
'with the same toolkit version: RC224 a malformed target, RC221 another cluster (system '
'identifier) or another database of it (database oid), RC220 not in recovery, RC222 another '
'toolkit version.';

REVOKE EXECUTE ON FUNCTION _recon.replica_standby(jsonb) FROM PUBLIC;
