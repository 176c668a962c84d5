-- Undo 0022.
ALTER TABLE _recon.watermark DROP COLUMN wallet_rows;
ALTER TABLE _recon.balance_state DROP COLUMN has_wallet;
DROP TABLE _recon.balance_state_mark;
COMMENT ON COLUMN _recon.watermark.state_rows IS
'Rows it left in _recon.balance_state (an unlogged table: a crash empties it).';
