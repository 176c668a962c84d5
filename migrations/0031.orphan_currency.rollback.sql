-- Undo 0031.
UPDATE _recon.check_kind
SET options = array_remove(options, 'currency_column')
WHERE kind = 'orphan';
