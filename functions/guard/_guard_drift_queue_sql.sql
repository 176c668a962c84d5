-- _recon.guard_drift_queue_sql(): the end of a sealed drift guard's row trigger function, which
-- queues the transaction's one commit-time check.
CREATE OR REPLACE FUNCTION _recon.guard_drift_queue_sql(p_guard integer)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- the transaction's first row queues the one commit-time check (a row of _recon.guard_tick,
    -- whose deferred constraint trigger judges _recon.guard_spill), marked by a row of its own
    -- (item '', column 0) that a rollback to a savepoint takes back with the tick
    SELECT _recon.template_fill(
$t$INSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col)
    VALUES (pg_catalog.pg_current_xact_id(), {{guard}}, '', 0)
    ON CONFLICT (txid, guard_id, item, col) DO NOTHING;
IF FOUND THEN
    PERFORM _recon_guard.drift_tick({{guard}});
END IF;$t$,
        jsonb_build_object('guard', p_guard::text));
$body$;

COMMENT ON FUNCTION _recon.guard_drift_queue_sql(integer) IS
'Generated PL/pgSQL ending a block-mode (sealed) drift guard''s row trigger function: the '
'transaction''s first guarded row queues the commit-time check (_recon.tg_guard_tick), marked '
'by a row of _recon.guard_spill (item '''', column 0).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_queue_sql(integer) FROM PUBLIC;
