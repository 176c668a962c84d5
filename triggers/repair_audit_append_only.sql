-- The repair audit is evidence: its rows are never updated or deleted.
DROP TRIGGER IF EXISTS fix_append_only ON _recon.fix;
CREATE TRIGGER fix_append_only
BEFORE UPDATE OR DELETE ON _recon.fix
FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only(
    'RC300',
    'A repair is undone by recon.reverse_fix(), which adds rows.',
    'wallet-recon repair audit is append-only'
);
COMMENT ON TRIGGER fix_append_only ON _recon.fix IS
'Keeps the repair audit append-only (SQLSTATE RC300).';

DROP TRIGGER IF EXISTS fix_no_truncate ON _recon.fix;
CREATE TRIGGER fix_no_truncate
BEFORE TRUNCATE ON _recon.fix
FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only(
    'RC300',
    'A repair is undone by recon.reverse_fix(), which adds rows.',
    'wallet-recon repair audit is append-only'
);
COMMENT ON TRIGGER fix_no_truncate ON _recon.fix IS
'Keeps the repair audit append-only (SQLSTATE RC300).';

DROP TRIGGER IF EXISTS repair_append_only ON _recon.repair;
CREATE TRIGGER repair_append_only
BEFORE UPDATE OR DELETE ON _recon.repair
FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only(
    'RC300',
    'A repair is undone by recon.reverse_fix(), which adds rows.',
    'wallet-recon repair audit is append-only'
);
COMMENT ON TRIGGER repair_append_only ON _recon.repair IS
'Keeps the repair audit append-only (SQLSTATE RC300).';

DROP TRIGGER IF EXISTS repair_no_truncate ON _recon.repair;
CREATE TRIGGER repair_no_truncate
BEFORE TRUNCATE ON _recon.repair
FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only(
    'RC300',
    'A repair is undone by recon.reverse_fix(), which adds rows.',
    'wallet-recon repair audit is append-only'
);
COMMENT ON TRIGGER repair_no_truncate ON _recon.repair IS
'Keeps the repair audit append-only (SQLSTATE RC300).';

DROP TRIGGER IF EXISTS repair_entry_append_only ON _recon.repair_entry;
CREATE TRIGGER repair_entry_append_only
BEFORE UPDATE OR DELETE ON _recon.repair_entry
FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only(
    'RC300',
    'A repair is undone by recon.reverse_fix(), which adds rows.',
    'wallet-recon repair audit is append-only'
);
COMMENT ON TRIGGER repair_entry_append_only ON _recon.repair_entry IS
'Keeps the repair audit append-only (SQLSTATE RC300).';

DROP TRIGGER IF EXISTS repair_entry_no_truncate ON _recon.repair_entry;
CREATE TRIGGER repair_entry_no_truncate
BEFORE TRUNCATE ON _recon.repair_entry
FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only(
    'RC300',
    'A repair is undone by recon.reverse_fix(), which adds rows.',
    'wallet-recon repair audit is append-only'
);
COMMENT ON TRIGGER repair_entry_no_truncate ON _recon.repair_entry IS
'Keeps the repair audit append-only (SQLSTATE RC300).';
