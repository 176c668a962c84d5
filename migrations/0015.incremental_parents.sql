-- 0015 incremental mode for ledgers that read parent rows: the watermark remembers the storage
-- of every parent table the ledger's legs join.

ALTER TABLE _recon.watermark
ADD COLUMN parents_storage jsonb;

COMMENT ON COLUMN _recon.watermark.parents_storage IS
'The leaves of every parent table the ledger reads ("parents"), then: {"<table oid>": [[oid, '
'relfilenode], ...]} (_recon.incremental_parents_storage); {} for a ledger without parents. A '
'parent table truncated, rewritten, or a partition of it attached or detached forces a full '
'run; rows of it written since are found by their xmin (_recon.incremental_parent_wallets_sql). '
'NULL for a watermark set before 0015.';
COMMENT ON COLUMN _recon.watermark.snapshot_xmin IS
'Oldest transaction running when the run read the wallets, before it read any ledger entry and '
'parent row: a wallet or parent row written by this transaction or a later one may have changed '
'since.';
