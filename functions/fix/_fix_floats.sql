-- _recon.fix_floats(): steps of a plan that would write a float amount or balance column.
CREATE OR REPLACE FUNCTION _recon.fix_floats(p_stage bigint, p_apply boolean)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_steps integer;
    v_first text;
BEGIN
    -- 1. A planned step that posts into a ledger with a float amount (or running balance), or
    --    moves a float stored balance, is left to a person: a float cannot hold the repair
    --    exactly. The dry run says why.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual', moves = '{}',
        note = format('float amounts (RC320): %s; repair by hand, or acknowledge', u.why)
    FROM (
        SELECT st.step, COALESCE(
            CASE WHEN st.postings <> '[]' THEN _recon.float_refusal(l) END,
            (SELECT format('column %I of %s is of a float type (%s)', m.key, w.relid::regclass,
                           _recon.column_type(w.relid, m.key::name))
             FROM jsonb_each(st.moves) AS m
             WHERE _recon.column_type(w.relid, m.key::name)
                   IN ('real'::regtype, 'double precision'::regtype)
             ORDER BY m.key LIMIT 1)) AS why
        FROM _recon.fix_stage AS st
        LEFT JOIN _recon.ledger_source AS l ON l.name = st.ledger_source
        LEFT JOIN _recon.wallet_source AS w ON w.name = st.wallet_source
        WHERE st.stage_id = p_stage AND st.status = 'planned'
    ) AS u
    WHERE s.stage_id = p_stage AND s.step = u.step AND u.why IS NOT NULL;
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    -- 2. Applying: refused whole, before anything is locked or written.
    IF p_apply THEN
        SELECT format('step %s (%s, wallet %s): %s', s.step, s.check_name, s.wallet_key, s.note)
        INTO v_first
        FROM _recon.fix_stage AS s
        WHERE s.stage_id = p_stage AND s.status = 'manual' AND s.note LIKE 'float amounts (RC320)%'
        ORDER BY s.step LIMIT 1;
        IF v_first IS NOT NULL THEN
            PERFORM _recon.fail(
                'RC320', 'recon.fix refuses to repair float amounts automatically',
                format('%s. Nothing was applied.', v_first),
                'Acknowledge those findings or leave them out (findings => ..., wallets => ...), '
                || 'and repair them by hand; better, make the column numeric or an integer of '
                || 'minor units with a "scale" (docs/CHECKS.md "Minor units").');
        END IF;
    END IF;
    RETURN v_steps;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_floats(bigint, boolean) IS
'Marks manual, with the reason, every planned step of a staged plan that would post into a '
'ledger with a float amount or running balance (_recon.float_refusal) or move a float stored '
'balance; with p_apply, raises RC320 when the plan has such a step (recon.fix applying: nothing '
'is applied). Returns how many steps it marked.';

REVOKE EXECUTE ON FUNCTION _recon.fix_floats(bigint, boolean) FROM PUBLIC;
