-- _recon.guard_drift_spill(): move a large accumulator into _recon.guard_spill.
CREATE OR REPLACE FUNCTION _recon.guard_drift_spill(p_guard integer, p_acc text)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    INSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col, stored, ledger)
    SELECT pg_current_xact_id(), p_guard, r.item, r.col, sum(r.stored), sum(r.ledger)
    FROM _recon.guard_drift_records(p_acc) AS r
    GROUP BY r.item, r.col
    ON CONFLICT (txid, guard_id, item, col) DO UPDATE
    SET stored = s.stored + excluded.stored, ledger = s.ledger + excluded.ledger;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_spill(integer, text) IS
'Called by a drift guard''s row trigger function when its transaction-local accumulator grew '
'past 8 kB: adds its records, summed per wallet and column, to _recon.guard_spill (which the '
'commit-time check reads with the rest), so that a transaction of any size costs the same per '
'row. Inside the user''s transaction: a rollback, to a savepoint too, takes it back.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_spill(integer, text) FROM PUBLIC;
