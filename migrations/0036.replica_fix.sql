-- A dry-run recon.fix() plan made from a standby's reads (recon.replica_fix,
-- docs/SCALING.md): each read the primary asks the standby for is signed with a secret of the
-- run's target, which the standby has once it has replayed the target.
ALTER TABLE _recon.replica_target
ADD COLUMN read_secret text NOT NULL DEFAULT (gen_random_uuid()::text || gen_random_uuid()::text);
COMMENT ON COLUMN _recon.replica_target.read_secret IS
'A random secret: the primary signs with it each read of a fix plan it asks the standby for '
'(recon.replica_fix); the standby runs only a read so signed (recon.replica_fix_read).';

-- What a standby read for a plan recon.replica_fix() is making in this transaction: only that
-- function writes it (no caller can), and it removes its rows before it returns.
CREATE UNLOGGED TABLE _recon.fix_read_memo (
    txid xid8 NOT NULL,
    read_key text NOT NULL,
    read_value jsonb,
    PRIMARY KEY (txid, read_key)
);
REVOKE ALL ON _recon.fix_read_memo FROM PUBLIC;
COMMENT ON TABLE _recon.fix_read_memo IS
'Scratch space of a running recon.replica_fix(): the reads of the money tables a standby made '
'for the plan it is making (_recon.fix_read returns them instead of reading here). Rows of '
'its transaction only, removed before it returns; unlogged (nothing to keep).';
COMMENT ON COLUMN _recon.fix_read_memo.txid IS 'The transaction of recon.replica_fix().';
COMMENT ON COLUMN _recon.fix_read_memo.read_key IS
'The read (_recon.fix_read_key: its query and parameters); the empty key marks the '
'transaction as planning from a standby''s reads.';
COMMENT ON COLUMN _recon.fix_read_memo.read_value IS 'What the standby read.';
