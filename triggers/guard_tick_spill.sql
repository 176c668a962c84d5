-- The commit-time check of a sealed (block-mode) drift guard: queued when its row trigger
-- inserts the transaction's marker row into _recon.guard_spill (item '', column 0), which it
-- does for the first row of the transaction's sums it writes (_recon.guard_drift_queue_sql).
DROP TRIGGER IF EXISTS guard_tick_spill ON _recon.guard_spill;
CREATE CONSTRAINT TRIGGER guard_tick_spill
AFTER INSERT ON _recon.guard_spill
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (new.col = 0)
EXECUTE FUNCTION _recon.tg_guard_tick();
COMMENT ON TRIGGER guard_tick_spill ON _recon.guard_spill IS
'Judges a sealed drift guard''s sums (_recon.tg_guard_tick) when the transaction that wrote its '
'marker row (column 0) commits.';
