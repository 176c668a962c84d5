-- The migrator's history is evidence: rows are never updated or deleted.
CREATE OR REPLACE FUNCTION _recon.tg_migrator_log_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    RAISE EXCEPTION 'wallet-recon install history is append-only'
        USING ERRCODE = 'RC001',
              DETAIL = format('%s on %s.%s was rejected.', tg_op, tg_table_schema, tg_table_name),
              HINT = 'History rows are never changed; uninstall removes the whole table.';
END;
$body$;

COMMENT ON FUNCTION _recon.tg_migrator_log_append_only() IS
'Trigger function: rejects UPDATE, DELETE and TRUNCATE on _recon.migrator_log (SQLSTATE RC001).';

REVOKE EXECUTE ON FUNCTION _recon.tg_migrator_log_append_only() FROM PUBLIC;

DROP TRIGGER IF EXISTS migrator_log_append_only ON _recon.migrator_log;
CREATE TRIGGER migrator_log_append_only
BEFORE UPDATE OR DELETE ON _recon.migrator_log
FOR EACH ROW EXECUTE FUNCTION _recon.tg_migrator_log_append_only();
COMMENT ON TRIGGER migrator_log_append_only ON _recon.migrator_log IS
'Keeps the install history append-only (SQLSTATE RC001).';

DROP TRIGGER IF EXISTS migrator_log_no_truncate ON _recon.migrator_log;
CREATE TRIGGER migrator_log_no_truncate
BEFORE TRUNCATE ON _recon.migrator_log
FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_migrator_log_append_only();
COMMENT ON TRIGGER migrator_log_no_truncate ON _recon.migrator_log IS
'Keeps the install history append-only (SQLSTATE RC001).';
