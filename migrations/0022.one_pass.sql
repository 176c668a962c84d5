-- 0022 incremental state checked in O(1): a generation mark beside the per-wallet sums.

CREATE UNLOGGED TABLE _recon.balance_state_mark (
    check_name text PRIMARY KEY,
    run_id bigint NOT NULL
);

COMMENT ON TABLE _recon.balance_state_mark IS
'Per balance check: the run that last wrote its rows of _recon.balance_state (its generation). '
'Unlogged like the state, so a crash (or a promoted standby) empties both at once: a mark that '
'equals the watermark''s run_id shows the state is whole, in one index probe instead of a '
'count of the state''s rows.';
COMMENT ON COLUMN _recon.balance_state_mark.check_name IS 'The balance check.';
COMMENT ON COLUMN _recon.balance_state_mark.run_id IS
'The run that last wrote the check''s state; the watermark''s run_id when the state is whole.';
COMMENT ON COLUMN _recon.watermark.state_rows IS
'Rows it left in _recon.balance_state, for information: the state is checked by '
'_recon.balance_state_mark (0022).';

-- Which summed keys are wallets: with a row per wallet (entries or not), an incremental run
-- counts the wallets that vanished (deleted, or re-keyed) in the one pass it makes anyway.
ALTER TABLE _recon.balance_state
ADD COLUMN has_wallet boolean NOT NULL DEFAULT FALSE;
COMMENT ON COLUMN _recon.balance_state.has_wallet IS
'The key was a wallet when the state was last read with the wallets (every wallet has a row, '
'with n = 0 when it has no entries). An incremental run compares the wallets still there with '
'those it counts here: one deleted or re-keyed makes the run full (docs/INCREMENTAL.md).';
ALTER TABLE _recon.watermark
ADD COLUMN wallet_rows bigint;
COMMENT ON COLUMN _recon.watermark.wallet_rows IS
'Wallets when the state was last read with them (the rows of _recon.balance_state with '
'has_wallet). NULL for a watermark set before 0022: a full run follows.';
