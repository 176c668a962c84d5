-- _recon.fix_post_sides(): a posting of a step as the writer's request, and its offset side.
CREATE OR REPLACE FUNCTION _recon.fix_post_sides(
    p_step _recon.fix_stage, p_posting jsonb, p_ledger _recon.ledger_source,
    p_writer _recon.writer, p_fix bigint, p_ticket text, p_reason text, p_sql jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_request jsonb;
    v_sides jsonb;
    v_val text;
BEGIN
    -- a reversal goes against the offset wallet of the entry it reverses, which the
    -- writer may since have changed
    v_request := p_posting || jsonb_build_object(
        'ledger', p_ledger.name, 'strategy', p_step.strategy, 'ticket', p_ticket,
        'reason', p_reason, 'fix', p_fix, 'step', p_step.step,
        'date', to_char(now(), 'YYYYMMDD'), 'check', p_step.check_name,
        'finding', p_step.finding_id,
        -- the wallet's currency (_recon.fix_currencies): an entry's, on a ledger that keeps one
        'currency', COALESCE(p_posting -> 'currency', to_jsonb(p_step.currency)),
        'offset_wallet', CASE WHEN p_posting ? 'offset_wallet'
                              THEN p_posting -> 'offset_wallet'
                              ELSE to_jsonb(p_writer.offset_wallet) END);
    IF NOT v_request ? 'reference' THEN
        EXECUTE p_sql ->> 'reference' INTO v_val USING v_request;
        v_request := v_request || jsonb_build_object('reference', v_val);
    END IF;
    EXECUTE p_sql ->> 'description' INTO v_val USING v_request;
    v_request := v_request || jsonb_build_object('description', v_val);
    -- a restored entry goes into the journal it was lost from
    IF p_writer.journal IS NOT NULL AND NOT p_posting ? 'journal' THEN
        EXECUTE p_sql ->> 'journal' INTO v_val USING v_request;
        v_request := v_request || jsonb_build_object('journal', v_val);
    END IF;
    -- The posting, and its other side on the offset wallet for a double-entry ledger.
    v_sides := jsonb_build_array(v_request);
    IF v_request ->> 'offset_wallet' IS NOT NULL THEN
        v_sides := v_sides || jsonb_build_array(v_request || jsonb_build_object(
            'wallet', v_request ->> 'offset_wallet', 'side', 'offset',
            -- the other leg of a transfer row as its rule moves it (counters), else
            -- exactly the opposite
            'deltas', COALESCE(v_request -> 'offset_deltas',
                               (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                FROM jsonb_each_text(v_request -> 'deltas') AS d))));
    END IF;
    RETURN v_sides;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_sides(
    _recon.fix_stage, jsonb, _recon.ledger_source, _recon.writer, bigint, text, text, jsonb
) IS
'For _recon.fix_post: a posting of step p_step as the request its writer gets (ledger, '
'strategy, ticket, reason, fix, step, date, check, finding, currency (the step''s: its '
'wallet''s), offset wallet, and the reference, '
'description and journal its templates give: p_sql, from _recon.fix_post_sql), and, where '
'the posting has an offset wallet, its other side there (the offset deltas, else exactly the '
'opposite): a JSON array of one or two sides.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_sides(
    _recon.fix_stage, jsonb, _recon.ledger_source, _recon.writer, bigint, text, text, jsonb
) FROM PUBLIC;
