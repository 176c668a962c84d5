-- _recon.guard_parent_isolation(): refuse a parent row change a guard cannot prove at this
-- isolation level.
CREATE OR REPLACE FUNCTION _recon.guard_parent_isolation(
    p_guard integer, p_table text, p_changed boolean
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
    -- A guard reads the ledger rows under the parent rows a statement wrote. At READ COMMITTED
    -- each of its queries sees every committed ledger row (a writer that read the parent row
    -- locked it FOR SHARE, so this statement waited for it). With an older snapshot (REPEATABLE
    -- READ, SERIALIZABLE) a ledger row committed under those parents since the transaction
    -- began is not visible, and the change of its legs cannot be proven either way.
    IF NOT p_changed OR v_level = 'read committed' OR _recon.in_audited_fix() THEN
        RETURN p_changed;
    END IF;
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
    IF FOUND THEN
        PERFORM _recon.guard_violation(
            v_guard, NULL,
            format('a statement on %s changed columns the legs of %s read, at isolation level '
                   || '%s: ledger rows committed under those rows since the transaction began '
                   || 'are not visible to it, so the guard cannot prove the balances; write '
                   || 'them at READ COMMITTED', p_table, v_guard.target, v_level),
            jsonb_build_object('table', p_table, 'isolation', v_level));
    END IF;
    RETURN TRUE;  -- warned: the statement goes on, read as far as it can be
END;
$body$;

COMMENT ON FUNCTION _recon.guard_parent_isolation(integer, text, boolean) IS
'Called by a guard''s statement trigger on a parent table of its ledger (p_changed: the '
'statement changed a column the legs read, _recon.guard_parent_columns): at REPEATABLE READ or '
'SERIALIZABLE that cannot be proven (ledger rows committed under those rows since the '
'snapshot are invisible), and the guard blocks it (its code, RC401 or RC403) or warns. Returns '
'p_changed: nothing to read when no such column changed.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_isolation(integer, text, boolean) FROM PUBLIC;
