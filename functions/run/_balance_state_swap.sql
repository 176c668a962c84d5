-- _recon.balance_state_swap(): a full run's new state, indexed, made the live one.
CREATE OR REPLACE FUNCTION _recon.balance_state_swap(
    p_check text, p_state regclass, p_run bigint
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- the index after the data: one sort, not a million random inserts into a live key
    EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (k)', p_state);
    -- The mark names the new table in the run's transaction, and the old one goes in it too:
    -- until the run commits, every other session reads the old state whole; a run that fails
    -- rolls all of it back (the old state stays live, the new table never existed).
    INSERT INTO _recon.balance_state_mark AS g (check_name, run_id, state_table)
    SELECT p_check, p_run, c.relname FROM pg_class AS c WHERE c.oid = p_state
    ON CONFLICT (check_name) DO UPDATE SET run_id = excluded.run_id,
                                           state_table = excluded.state_table;
    PERFORM _recon.balance_state_drop(p_check, p_state);
END;
$body$;

COMMENT ON FUNCTION _recon.balance_state_swap(text, regclass, bigint) IS
'Makes p_state (filled by run p_run, _recon.balance_state_create) the live per-wallet state of '
'balance check p_check: builds its primary key, names it in _recon.balance_state_mark with '
'generation p_run, and drops the check''s previous state table, all in the run''s transaction.';

REVOKE EXECUTE ON FUNCTION _recon.balance_state_swap(text, regclass, bigint) FROM PUBLIC;
