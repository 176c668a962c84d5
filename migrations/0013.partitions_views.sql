-- 0013 partitioned ledgers and views: an incremental watermark remembers the storage of every
-- table under a source (the leaves of a partition or inheritance tree, the base table of a
-- view), not one relfilenode.

ALTER TABLE _recon.watermark
ADD COLUMN ledger_storage jsonb,
ADD COLUMN wallet_storage jsonb;

COMMENT ON COLUMN _recon.watermark.ledger_storage IS
'The ledger''s storage signature then (_recon.incremental_storage): every leaf table of its '
'partition or inheritance tree with its relfilenode, and a view''s definition. Any change (a '
'partition attached, detached, truncated or rewritten, the view redefined) forces a full run. '
'NULL for a watermark set before 0013: a full run follows.';
COMMENT ON COLUMN _recon.watermark.wallet_storage IS
'The wallet table''s storage signature then, as ledger_storage.';
