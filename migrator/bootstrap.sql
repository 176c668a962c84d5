-- The migrator's own envelope: the private schema and the bookkeeping the
-- migrator needs before any migration can run. yoyo-migrations creates its own
-- tables (_yoyo_migration, _yoyo_log, _yoyo_version, yoyo_lock) in this schema
-- too. Idempotent: run by every install/upgrade under the advisory lock.

CREATE SCHEMA IF NOT EXISTS _recon;
COMMENT ON SCHEMA _recon IS
'wallet-recon private schema: bookkeeping tables and helpers. Not an API; use schema recon.';
REVOKE ALL ON SCHEMA _recon FROM PUBLIC;

CREATE TABLE IF NOT EXISTS _recon.migrator_meta (
    singleton boolean PRIMARY KEY DEFAULT TRUE CONSTRAINT migrator_meta_singleton CHECK (singleton),
    toolkit_version text NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now(),
    upgraded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE _recon.migrator_meta IS
'One row: the wallet-recon package version that last changed this database.';
COMMENT ON COLUMN _recon.migrator_meta.singleton IS 'Always true; keeps the table to one row.';
COMMENT ON COLUMN _recon.migrator_meta.toolkit_version IS
'Package version (PEP 440) of the last install or upgrade; an older package refuses to run.';
COMMENT ON COLUMN _recon.migrator_meta.installed_at IS 'First install.';
COMMENT ON COLUMN _recon.migrator_meta.upgraded_at IS
'Last install or upgrade that changed anything.';

CREATE TABLE IF NOT EXISTS _recon.migrator_migration (
    migration_id text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE _recon.migrator_migration IS
'SHA-256 of each applied migration file: yoyo knows migrations by file name only, '
'so the migrator refuses to run when an applied migration was edited afterwards.';
COMMENT ON COLUMN _recon.migrator_migration.migration_id IS
'yoyo migration id (file name without .sql).';
COMMENT ON COLUMN _recon.migrator_migration.checksum IS 'sha256 hex of the file as applied.';
COMMENT ON COLUMN _recon.migrator_migration.applied_at IS 'When it was applied.';

CREATE TABLE IF NOT EXISTS _recon.migrator_object (
    path text PRIMARY KEY,
    apply_order integer NOT NULL,
    checksum text NOT NULL,
    objects text[] NOT NULL,
    fingerprints jsonb NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE _recon.migrator_object IS
'The repeatable layer: one row per file under functions/, views/, triggers/ as last applied.';
COMMENT ON COLUMN _recon.migrator_object.path IS
'File path relative to the SQL root, e.g. functions/version.sql.';
COMMENT ON COLUMN _recon.migrator_object.apply_order IS 'Position in the fixed apply order.';
COMMENT ON COLUMN _recon.migrator_object.checksum IS 'sha256 hex of the file as applied.';
COMMENT ON COLUMN _recon.migrator_object.objects IS
'Objects the file defines, as "<type> <identity>" from pg_identify_object (DROP-able).';
COMMENT ON COLUMN _recon.migrator_object.fingerprints IS
'md5 of each object''s catalog definition right after apply; status compares it with the catalog.';
COMMENT ON COLUMN _recon.migrator_object.applied_at IS 'When the file was last applied.';

CREATE TABLE IF NOT EXISTS _recon.migrator_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    logged_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    action text NOT NULL,
    toolkit_version text NOT NULL,
    db_user name NOT NULL DEFAULT session_user,
    client_user text,
    client_host text,
    detail jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE _recon.migrator_log IS
'Append-only history of every install, upgrade and rollback that changed this database.';
COMMENT ON COLUMN _recon.migrator_log.id IS 'Sequence of events.';
COMMENT ON COLUMN _recon.migrator_log.logged_at IS 'When the change was committed.';
COMMENT ON COLUMN _recon.migrator_log.action IS 'install, upgrade or rollback.';
COMMENT ON COLUMN _recon.migrator_log.toolkit_version IS 'Package version that made the change.';
COMMENT ON COLUMN _recon.migrator_log.db_user IS 'session_user of the migrator connection.';
COMMENT ON COLUMN _recon.migrator_log.client_user IS 'Operating-system user running the migrator.';
COMMENT ON COLUMN _recon.migrator_log.client_host IS 'Host running the migrator.';
COMMENT ON COLUMN _recon.migrator_log.detail IS
'Migrations applied or rolled back, repeatable files applied, dropped or restored.';
