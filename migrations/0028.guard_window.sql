-- 0028 (issue 18) the last bypass of block mode: on a ledger whose effects read parent rows, the
-- window that tells overlapping statements apart (a data-modifying WITH, a trigger's statement)
-- was a transaction-local setting, wallet_recon.drift_<id>_stmt, that the writer could SET or
-- set_config between statements (a window marked as already reported, or with a negative count
-- of open statements, let an overlapping statement's double count commit). A sealed guard keeps
-- it here instead, written only by its SECURITY DEFINER trigger functions
-- (_recon.tg_guard_drift_begin_sealed, _recon.guard_drift_window_sealed). The migrator enables
-- every guard again after the repeatable layer, so a block-mode guard gets them.
CREATE UNLOGGED TABLE _recon.guard_window (
    txid xid8 NOT NULL,
    guard_id integer NOT NULL,
    state text NOT NULL,
    PRIMARY KEY (txid, guard_id)
);
REVOKE ALL ON _recon.guard_window FROM PUBLIC;
COMMENT ON TABLE _recon.guard_window IS
'A sealed (block-mode) drift guard''s open statement window on a ledger read through parent '
'rows, per transaction: a row while one of the guard''s statements is open, deleted when the '
'last one closes. Written inside the writer''s transaction (an abort or a rollback to a '
'savepoint takes it back) by the guard''s SECURITY DEFINER trigger functions only; the writer '
'can neither read nor write it. Warn mode keeps the window in the setting '
'wallet_recon.drift_<id>_stmt. Unlogged.';
COMMENT ON COLUMN _recon.guard_window.txid IS 'The writing transaction.';
COMMENT ON COLUMN _recon.guard_window.guard_id IS 'The drift guard.';
COMMENT ON COLUMN _recon.guard_window.state IS
'"open,mixed,ledger,parent,reported", as _recon.guard_drift_window_next reads it.';
