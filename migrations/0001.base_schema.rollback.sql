-- Undo 0001. The roles stay: they are cluster-wide, may serve other databases
-- and may have been granted to people (see docs/MIGRATOR.md, "Roles").
ALTER DEFAULT PRIVILEGES IN SCHEMA _recon GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA recon GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
REVOKE recon_auditor FROM recon_operator;
-- RESTRICT: if anything of the user's depends on the schema, fail rather than take it along.
DROP SCHEMA recon RESTRICT;
