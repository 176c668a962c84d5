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
