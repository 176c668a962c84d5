-- Undo 0034.
UPDATE _recon.check_kind
SET options = array_remove(options, 'currency_column')
WHERE kind = 'orphan';
