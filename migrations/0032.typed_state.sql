-- 0032 the per-wallet incremental state in a table of its own per balance check, keyed on the
-- wallet key's own type, built by each full run as a new table (its index made after the data)
-- and swapped in by the run's transaction (_recon.balance_state_swap). The state kept before
-- is discarded: the next run of each balance check is full (CHANGELOG).

DROP TABLE _recon.balance_state;
DELETE FROM _recon.balance_state_mark;
ALTER TABLE _recon.balance_state_mark ADD COLUMN state_table name NOT NULL;

COMMENT ON TABLE _recon.balance_state_mark IS
'Per balance check: its live per-wallet state table (state_table, in schema _recon, made by '
'_recon.balance_state_create) and the run that last wrote it (its generation). Unlogged like '
'the state, so a crash (or a promoted standby) empties both at once: a mark that equals the '
'watermark''s run_id shows the state is whole, in one index probe.';
COMMENT ON COLUMN _recon.balance_state_mark.state_table IS
'The check''s live state table in schema _recon (_recon.balance_state_table()): '
'bs_<md5 of the check name>_<the full run that built it>.';
COMMENT ON COLUMN _recon.watermark.state_rows IS
'Rows it left in the check''s state table (_recon.balance_state_table()), for information.';
