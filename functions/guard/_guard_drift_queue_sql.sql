-- _recon.guard_drift_queue_sql(): the end of a sealed drift guard's row trigger function, which
-- queues the transaction's one commit-time check.
CREATE OR REPLACE FUNCTION _recon.guard_drift_queue_sql(p_guard integer)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A row that wrote a sum for the first time (v_fresh) makes sure the transaction has its
    -- marker row (item '', column 0): inserting it queues the one commit-time check (the
    -- deferred constraint trigger guard_tick_spill judges _recon.guard_spill), and a rollback to
    -- a savepoint takes both back with the sums written since. A row that only added to sums
    -- already there needs nothing: they were written with the marker there.
    SELECT _recon.template_fill(
$t$IF v_fresh THEN
    INSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col)
        VALUES (pg_catalog.pg_current_xact_id(), {{guard}}, '', 0)
        ON CONFLICT (txid, guard_id, item, col) DO NOTHING;
END IF;$t$,
        jsonb_build_object('guard', p_guard::text));
$body$;

COMMENT ON FUNCTION _recon.guard_drift_queue_sql(integer) IS
'Generated PL/pgSQL ending a block-mode (sealed) drift guard''s row trigger function: the '
'row that wrote a sum for the first time (v_fresh) inserts the transaction''s marker row of '
'_recon.guard_spill (item '''', column 0) unless it is there; its insert queues the '
'commit-time check (trigger guard_tick_spill, _recon.tg_guard_tick).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_queue_sql(integer) FROM PUBLIC;
