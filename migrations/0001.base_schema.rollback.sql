-- Undo 0001. The roles and their membership stay: they are cluster-wide, may serve other
-- databases and may have been granted to people (docs/MIGRATOR.md, "Roles").
-- RESTRICT: if anything of the user's depends on the schema, fail rather than take it along.
DROP SCHEMA recon RESTRICT;
