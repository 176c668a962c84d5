-- 0023 guards without bypasses (issue 18): a drift guard in block mode keeps its sums in
-- _recon.guard_spill, written only by its SECURITY DEFINER trigger functions (no setting the
-- writer can reset or forge); the table is the toolkit's alone. The migrator enables every
-- enabled guard again after the repeatable layer (_recon.recompile_guards), so that a block-mode
-- guard enabled before becomes sealed and none calls a function an upgrade removed.
REVOKE ALL ON _recon.guard_spill FROM PUBLIC;
COMMENT ON TABLE _recon.guard_spill IS
'A drift guard''s sums per transaction, wallet and balance column (the stored change and the '
'ledger effects). Block mode (sealed): every row''s, written by the guard''s SECURITY DEFINER '
'trigger functions only (_recon.guard_drift_seal_sql), judged and emptied by its commit-time '
'check; the writer can neither read nor write it. Warn mode: what a large transaction moved out '
'of its transaction-local setting past 8 kB (_recon.guard_drift_spill). Written inside the '
'user''s transaction (an abort or a rollback to a savepoint takes it back); unlogged.';

-- NULL journals (issue 18): on a ledger with a journal, entries without one are a finding of the
-- journal check unless it declares them legitimate ("null_journals": "allowed"). The journal
-- checks registered before are compiled again by the upgrade (the migrator's recompile), so
-- they get the new rule.
UPDATE _recon.check_kind SET options = array_append(options, 'null_journals')
WHERE kind = 'journal' AND NOT (options @> ARRAY['null_journals']);
