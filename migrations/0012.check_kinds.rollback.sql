-- Undo 0012: the ten kinds go back into a CHECK constraint, and the registry goes. A check of a
-- kind added since makes the rollback fail (23514) and change nothing: drop it first.
ALTER TABLE _recon.check_def DROP CONSTRAINT check_def_kind;
ALTER TABLE _recon.check_def
ADD CONSTRAINT check_def_kind CHECK (kind IN (
    'balance', 'derived', 'total', 'coverage', 'duplicate', 'orphan', 'chain',
    'journal', 'lifecycle', 'custom'
));
COMMENT ON COLUMN _recon.check_def.kind IS 'balance, derived, total, coverage, duplicate, orphan, '
'chain, journal, lifecycle or custom (docs/CHECKS.md).';
DROP TABLE _recon.check_kind;
