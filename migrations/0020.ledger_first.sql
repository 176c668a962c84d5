-- 0020 ledger-first writers and version columns (issue 16, items 1 and 2): a wallet source may
-- name an optimistic-locking version column, which every write of the toolkit to a wallet row
-- bumps (recon.fix, recon.reverse_fix, recon.backfill). A writer's "moves_balances" option
-- (recon.register_writer) lives in _recon.writer.options: no column of its own.
ALTER TABLE _recon.wallet_source ADD COLUMN version_column name;

COMMENT ON COLUMN _recon.wallet_source.version_column IS
'Optional optimistic-locking version column (an integer type): every write of the toolkit to '
'a wallet row adds 1 to it ("version" option of recon.register_wallet_source). NULL: none.';
