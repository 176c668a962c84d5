-- _recon.guard_parent_change(): refuse a statement on a parent table that a guard cannot read
-- as one change of the legs under it.
CREATE OR REPLACE FUNCTION _recon.guard_parent_change(
    p_guard integer, p_table text, p_changed boolean, p_reborn boolean
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_level text := current_setting('transaction_isolation');
BEGIN
    -- A guard reads the legs of the ledger rows under the parent rows a statement wrote, over
    -- the table before and after it. Two statements it cannot read that way:
    -- * an UPDATE changing a column the legs read (p_changed) at REPEATABLE READ or
    --   SERIALIZABLE: at READ COMMITTED each of the guard's queries sees every committed ledger
    --   row (a writer that read the parent row locked it FOR SHARE, so this statement waited
    --   for it); an older snapshot does not see a ledger row committed under those parents
    --   since the transaction began, and the change of its legs cannot be proven either way;
    -- * a DELETE whose key is there again at the end of the statement (p_reborn: a trigger
    --   wrote it back, which a NO ACTION foreign key lets through): the ledger rows under it
    --   then read another row, which no UPDATE trigger saw.
    -- Both are refused (the guard's code, RC401 or RC403) or warned about. An audited
    -- recon.fix() is let through.
    IF (p_reborn OR (p_changed AND v_level <> 'read committed'))
       AND NOT _recon.in_audited_fix() THEN
        SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
        IF FOUND THEN
            PERFORM _recon.guard_violation(
                v_guard, NULL,
                CASE WHEN p_reborn THEN format(
                    'a statement deleted rows of %s that were written again with the same key '
                    || 'in it: the ledger rows of %s under them read other rows now, which the '
                    || 'guard cannot read as one change; update the row instead', p_table,
                    v_guard.target)
                ELSE format(
                    'a statement on %s changed columns the legs of %s read, at isolation level '
                    || '%s: ledger rows committed under those rows since the transaction began '
                    || 'are not visible to it, so the guard cannot prove the balances; write '
                    || 'them at READ COMMITTED', p_table, v_guard.target, v_level) END,
                CASE WHEN p_reborn THEN jsonb_build_object('table', p_table)
                     ELSE jsonb_build_object('table', p_table, 'isolation', v_level) END);
        END IF;
    END IF;
    RETURN p_changed;  -- warned: the statement goes on, read as far as it can be
END;
$body$;

COMMENT ON FUNCTION _recon.guard_parent_change(integer, text, boolean, boolean) IS
'Called by a guard''s statement trigger on a parent table of its ledger: a statement the guard '
'cannot read as one change of the legs under the rows it wrote is blocked (the guard''s code, '
'RC401 or RC403) or warned about: an UPDATE that changed a column the legs read (p_changed, '
'_recon.guard_parent_columns) at REPEATABLE READ or SERIALIZABLE (ledger rows committed under '
'those rows since the snapshot are invisible), and a DELETE whose key is there again at the '
'end of the statement (p_reborn). Returns p_changed: nothing to read when no such column '
'changed.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_change(integer, text, boolean, boolean)
FROM PUBLIC;
