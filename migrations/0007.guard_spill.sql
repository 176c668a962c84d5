-- 0007 the drift guard without per-statement staging: its row triggers add up, per wallet and
-- balance column, what a transaction changed in a transaction-local setting (no table write);
-- a very large transaction moves that sum here in batches, so that the setting stays small.

CREATE UNLOGGED TABLE _recon.guard_spill (
    txid xid8 NOT NULL,
    guard_id integer NOT NULL,
    item text NOT NULL,
    col integer NOT NULL,
    stored numeric NOT NULL DEFAULT 0,
    ledger numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (txid, guard_id, item, col)
);
COMMENT ON TABLE _recon.guard_spill IS
'What a large transaction changed under a drift guard, moved out of its transaction-local '
'setting once that grew past 8 kB (_recon.guard_drift_spill): per wallet and balance column, '
'the stored change and the ledger effects. Written inside the user''s transaction (an abort '
'or a rollback to a savepoint takes it back, as it does the setting) and read and emptied by '
'the commit-time check (_recon.tg_guard_drift_check); unlogged.';
COMMENT ON COLUMN _recon.guard_spill.txid IS 'The writing transaction.';
COMMENT ON COLUMN _recon.guard_spill.guard_id IS 'The drift guard.';
COMMENT ON COLUMN _recon.guard_spill.item IS 'Wallet key, as text.';
COMMENT ON COLUMN _recon.guard_spill.col IS
'Balance column: its position in the guard''s columns (_recon.guard.compiled -> ''columns'').';
COMMENT ON COLUMN _recon.guard_spill.stored IS 'Change of the stored balance so far.';
COMMENT ON COLUMN _recon.guard_spill.ledger IS 'Sum of the ledger effects written so far.';
