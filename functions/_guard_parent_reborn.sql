-- _recon.guard_parent_reborn(): refuse a parent row deleted and written again in one statement.
CREATE OR REPLACE FUNCTION _recon.guard_parent_reborn(
    p_guard integer, p_table text, p_reborn boolean
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
BEGIN
    -- A parent row's foreign key (NO ACTION) lets a DELETE through when a row with the same key
    -- is there again at the end of the statement (a trigger wrote it back): the ledger rows
    -- under it then read another row, which no UPDATE trigger saw. A guard cannot read that
    -- change as one statement, and refuses it.
    IF NOT p_reborn OR _recon.in_audited_fix() THEN
        RETURN;
    END IF;
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
    IF FOUND THEN
        PERFORM _recon.guard_violation(
            v_guard, NULL,
            format('a statement deleted rows of %s that were written again with the same key '
                   || 'in it: the ledger rows of %s under them read other rows now, which the '
                   || 'guard cannot read as one change; update the row instead', p_table,
                   v_guard.target),
            jsonb_build_object('table', p_table));
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_parent_reborn(integer, text, boolean) IS
'Called by a guard''s statement trigger on a DELETE from a parent table of its ledger: when a '
'deleted row''s key is there again at the end of the statement (p_reborn), the ledger rows under '
'it read another row, and the guard blocks it (RC401 or RC403) or warns.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_reborn(integer, text, boolean) FROM PUBLIC;
