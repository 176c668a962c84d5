-- recon.version(): the wallet-recon package version installed in this database.
CREATE OR REPLACE FUNCTION recon.version()
RETURNS text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT m.toolkit_version FROM _recon.migrator_meta AS m;
$body$;

COMMENT ON FUNCTION recon.version() IS
'Version of the wallet-recon package that last installed or upgraded this database. '
'SECURITY DEFINER: reads the private _recon.migrator_meta for callers without access to it.';

REVOKE EXECUTE ON FUNCTION recon.version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.version() TO recon_auditor, recon_operator;
