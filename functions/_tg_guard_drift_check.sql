-- _recon.tg_guard_drift_check(): a drift guard's commit-time check.
CREATE OR REPLACE FUNCTION _recon.tg_guard_drift_check()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_acc text;
    v_guard _recon.guard;
    v_col text;
    r record;
BEGIN
    -- Deferred constraint trigger, arguments: guard id, the accumulator's setting. Every row a
    -- transaction wrote queued one call; the first judges the whole transaction and empties the
    -- accumulator, the others find it empty. So does the first when the transaction's rows
    -- cancelled each other out (stored changes equal to ledger effects): the usual case, and
    -- one expression.
    IF COALESCE(current_setting(tg_argv[1], TRUE), '') = '' THEN
        RETURN NULL;
    END IF;
    v_acc := current_setting(tg_argv[1], TRUE);
    PERFORM set_config(tg_argv[1], '', TRUE);
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = tg_argv[0]::integer;
    IF NOT FOUND THEN
        RETURN NULL;  -- disabled meanwhile
    END IF;
    -- what is left, with what a large transaction moved to _recon.guard_spill ('!' first)
    FOR r IN
        SELECT x.item, x.col, sum(x.stored) AS stored, sum(x.ledger) AS ledger
        FROM (SELECT d.item, d.col, d.stored, d.ledger
              FROM _recon.guard_drift_records(v_acc) AS d
              UNION ALL
              SELECT s.item, s.col, s.stored, s.ledger
              FROM _recon.guard_spill AS s
              WHERE starts_with(v_acc, '!') AND s.txid = pg_current_xact_id()
                AND s.guard_id = v_guard.id) AS x
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
    IF starts_with(v_acc, '!') THEN
        DELETE FROM _recon.guard_spill AS s
        WHERE s.txid = pg_current_xact_id() AND s.guard_id = v_guard.id;
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_drift_check() IS
'Commit-time check of a drift guard (deferred constraint trigger on its wallet table and '
'ledger; arguments: guard id, setting): for each wallet and balance column the transaction '
'touched, its stored change against its ledger effects, from the transaction-local setting '
'the guard''s row triggers filled (and _recon.guard_spill for a large transaction), with the '
'guard''s tolerance. A violation blocks (RC401) or warns (_recon.guard_violation). When the '
'rows balanced each other, one expression and no query; never reads a wallet''s history.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_drift_check() FROM PUBLIC;
