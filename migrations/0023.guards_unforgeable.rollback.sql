-- Undo 0023 (a rollback refuses while a guard is enabled: no sealed guard is left behind).
COMMENT ON TABLE _recon.guard_spill IS
'What a large transaction changed under a drift guard, moved out of its transaction-local '
'setting once that grew past 8 kB (_recon.guard_drift_spill): per wallet and balance column, '
'the stored change and the ledger effects. Written inside the user''s transaction (an abort '
'or a rollback to a savepoint takes it back, as it does the setting) and read and emptied by '
'the commit-time check (_recon.tg_guard_drift_check); unlogged.';
UPDATE _recon.check_kind SET options = array_remove(options, 'null_journals')
WHERE kind = 'journal';
