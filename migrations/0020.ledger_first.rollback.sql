-- Undo 0020: the wallet sources forget their version columns (the columns themselves are the
-- user's and stay).
ALTER TABLE _recon.wallet_source DROP COLUMN version_column;
