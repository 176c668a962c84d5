-- recon.install_history: who installed, upgraded or rolled back the toolkit, and when.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.install_history;
CREATE VIEW recon.install_history AS
SELECT
    l.id,
    l.logged_at,
    l.action,
    l.toolkit_version,
    l.db_user,
    l.client_user,
    l.client_host,
    l.detail
FROM _recon.migrator_log AS l;

COMMENT ON VIEW recon.install_history IS
'Every install, upgrade and rollback of wallet-recon that changed this database, '
'oldest first by id.';

REVOKE ALL ON recon.install_history FROM PUBLIC;
GRANT SELECT ON recon.install_history TO recon_auditor, recon_operator;
