-- The migrator's history is evidence: rows are never updated or deleted.
DROP TRIGGER IF EXISTS migrator_log_append_only ON _recon.migrator_log;
CREATE TRIGGER migrator_log_append_only
BEFORE UPDATE OR DELETE ON _recon.migrator_log
FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only(
    'RC001',
    'History rows are never changed; uninstall removes the whole table.',
    'wallet-recon install history is append-only'
);
COMMENT ON TRIGGER migrator_log_append_only ON _recon.migrator_log IS
'Keeps the install history append-only (SQLSTATE RC001).';

DROP TRIGGER IF EXISTS migrator_log_no_truncate ON _recon.migrator_log;
CREATE TRIGGER migrator_log_no_truncate
BEFORE TRUNCATE ON _recon.migrator_log
FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only(
    'RC001',
    'History rows are never changed; uninstall removes the whole table.',
    'wallet-recon install history is append-only'
);
COMMENT ON TRIGGER migrator_log_no_truncate ON _recon.migrator_log IS
'Keeps the install history append-only (SQLSTATE RC001).';
