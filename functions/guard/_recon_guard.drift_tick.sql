-- _recon_guard.drift_tick(): queue a drift guard's commit-time check in this transaction.
CREATE OR REPLACE FUNCTION _recon_guard.drift_tick(p_guard integer)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_row tid;
BEGIN
    -- Called by a drift guard's ledger trigger function when it adds to an empty accumulator
    -- (no check known to be queued). The row's deferred constraint trigger fires at commit
    -- even though the row is gone by then; nothing is left behind.
    INSERT INTO _recon.guard_tick AS t (guard_id) VALUES (p_guard) RETURNING t.ctid INTO v_row;
    DELETE FROM _recon.guard_tick AS t WHERE t.ctid = v_row;
    RETURN '*';
END;
$body$;

COMMENT ON FUNCTION _recon_guard.drift_tick(integer) IS
'Queues drift guard p_guard''s commit-time check (_recon.tg_guard_tick, through a row of '
'_recon.guard_tick inserted and deleted at once) and returns ''*'', the accumulator''s mark of '
'a queued check. Called by the guard''s ledger trigger function, as the writer. Any role may '
'call it: it only makes the guard judge the calling transaction.';

REVOKE EXECUTE ON FUNCTION _recon_guard.drift_tick(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _recon_guard.drift_tick(integer) TO PUBLIC;
