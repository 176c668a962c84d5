-- Undo 0017. A check of kind currency makes the rollback fail (23503) and change nothing: drop
-- it first.
DELETE FROM _recon.check_kind
WHERE kind = 'currency';
ALTER TABLE _recon.ledger_source DROP COLUMN currency_column;
