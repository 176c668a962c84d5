-- Undo 0029.
UPDATE _recon.check_kind
SET options = array_remove(options, 'scale')
WHERE kind = 'orphan';
