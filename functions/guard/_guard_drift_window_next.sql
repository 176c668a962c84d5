-- _recon.guard_drift_window_next(): a drift guard's statement reading the legs ends; refuse what
-- overlapping statements wrote together, and return the window's next state.
CREATE OR REPLACE FUNCTION _recon.guard_drift_window_next(
    p_guard integer, p_table text, p_ledger boolean, p_counts boolean, p_state text
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- "open,mixed,ledger,parent,reported", as _recon.tg_guard_drift_begin() counts them
    v_state text[] := string_to_array(COALESCE(NULLIF(p_state, ''), '0,0,0,0,0'), ',');
    v_open integer := greatest(v_state[1]::integer - 1, 0);
    v_ledger integer := v_state[3]::integer + CASE WHEN p_ledger AND p_counts THEN 1 ELSE 0 END;
    v_parent integer := v_state[4]::integer
                        + CASE WHEN NOT p_ledger AND p_counts THEN 1 ELSE 0 END;
    v_reported text := v_state[5];
    v_guard _recon.guard;
BEGIN
    -- Each statement trigger adds what its own table's rows changed, reading the other tables
    -- as they are when it fires. Statements one after another telescope exactly. Statements
    -- that overlap (a BEFORE trigger fired while another was open: a data-modifying WITH, or
    -- a trigger of the user's writing one table from a statement on another) do not: each
    -- reads the other's rows as they are at the end, so a ledger row written under a parent
    -- row changed in the same window is counted twice (and a deleted one not at all). When
    -- such a window holds a parent statement that changed a column the legs read (p_counts on
    -- a parent table) and another that changed legs (ledger rows written, or another parent
    -- change), the guard cannot prove the balances: it refuses (RC401) or warns, once.
    IF v_state[2] = '1' AND v_parent >= 1 AND (v_ledger >= 1 OR v_parent >= 2)
       AND v_reported = '0' AND NOT _recon.in_audited_fix() THEN
        v_reported := '1';
        SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
        IF FOUND THEN
            PERFORM _recon.guard_violation(
                v_guard, NULL,
                format('one statement changed columns the legs of %s read in a parent table '
                       || 'and wrote %s (through a data-modifying WITH, or a trigger writing '
                       || 'one table from a statement on the other, last %s): the guard reads '
                       || 'both as the statement left them and cannot tell their changes '
                       || 'apart, so it cannot prove the balances',
                       v_guard.target, CASE WHEN v_ledger >= 1 THEN 'its ledger rows'
                                            ELSE 'another parent table' END, p_table),
                jsonb_build_object(
                    'table', p_table,
                    'hint', 'Write the parent rows and the ledger rows in separate statements '
                            || '(a trigger that writes one from the other: an AFTER ... FOR '
                            || 'EACH STATEMENT trigger named after recon_guard_*, or the '
                            || 'application); docs/GUARDS.md "Ledger shapes".'));
        END IF;
    END IF;
    RETURN CASE WHEN v_open = 0 THEN '0,0,0,0,0'
                ELSE concat_ws(',', v_open, v_state[2], v_ledger, v_parent, v_reported) END;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_window_next(integer, text, boolean, boolean, text) IS
'The judgement of _recon.guard_drift_window and _recon.guard_drift_window_sealed: closes one '
'statement of the window p_state ("open,mixed,ledger,parent,reported") on the ledger '
'(p_ledger; p_counts: it wrote rows) or a parent table p_table (p_counts: it changed a column '
'the legs read) and returns the next state (''0,0,0,0,0'': closed). In a window of overlapping '
'statements that changed a parent table''s legs and the ledger''s or another parent''s, each '
'statement trigger reads the others'' rows as they ended, so the sum is not the change: the '
'guard blocks (RC401, with a HINT) or warns, once per window.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_window_next(integer, text, boolean, boolean, text)
FROM PUBLIC;
