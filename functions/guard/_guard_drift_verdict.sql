-- _recon.guard_drift_verdict(): judge what a drift guard holds for the current transaction.
CREATE OR REPLACE FUNCTION _recon.guard_drift_verdict(p_guard integer, p_acc text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_col text;
    r record;
BEGIN
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
    IF NOT FOUND THEN
        RETURN;  -- disabled meanwhile
    END IF;
    -- what is left in the accumulator, with what a large transaction moved to
    -- _recon.guard_spill (then the accumulator starts with '*!', or '!' for a guard enabled
    -- before migration 0008)
    FOR r IN
        SELECT x.item, x.col, sum(x.stored) AS stored, sum(x.ledger) AS ledger
        FROM (SELECT d.item, d.col, d.stored, d.ledger
              FROM _recon.guard_drift_records(p_acc) AS d
              UNION ALL
              SELECT s.item, s.col, s.stored, s.ledger
              FROM _recon.guard_spill AS s
              WHERE (starts_with(p_acc, '!') OR starts_with(p_acc, '*!')) AND s.txid = pg_current_xact_id()
                AND s.guard_id = p_guard) AS x
        GROUP BY x.item, x.col
        HAVING sum(x.stored) = 'NaN' OR sum(x.ledger) = 'NaN'
            OR abs(sum(x.stored) - sum(x.ledger)) > v_guard.tolerance
        ORDER BY x.item, x.col
    LOOP
        v_col := v_guard.compiled -> 'sql' -> 'columns' ->> (r.col - 1);
        PERFORM _recon.guard_violation(
            v_guard, r.item,
            format('wallet %s: %s moved by %s, its ledger entries by %s', r.item, v_col,
                   r.stored, r.ledger),
            jsonb_build_object('wallet', r.item, 'column', v_col, 'stored_change', r.stored,
                               'ledger_change', r.ledger, 'difference', r.stored - r.ledger));
    END LOOP;
    IF starts_with(p_acc, '!') OR starts_with(p_acc, '*!') THEN
        DELETE FROM _recon.guard_spill AS s
        WHERE s.txid = pg_current_xact_id() AND s.guard_id = p_guard;
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_verdict(integer, text) IS
'What a drift guard''s commit-time check does when its accumulator p_acc is not empty: for '
'each wallet and balance column left in it (and in _recon.guard_spill for a large '
'transaction), the stored change against the ledger effects, with the guard''s tolerance; a '
'violation blocks (RC401) or warns (_recon.guard_violation). Empties _recon.guard_spill for '
'the transaction.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_verdict(integer, text) FROM PUBLIC;
