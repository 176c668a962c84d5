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
    -- An INSERT writer fills a ledger's currency per row with the wallet's currency: the
    -- step's (the plan refuses a step of unknown currency, _recon.fix_entry_currency), else,
    -- for a backfill's new wallet, its currency column as created; never NULL (RC305).
    IF p_writer.kind = 'insert' AND p_ledger.currency_column IS NOT NULL
       AND NOT p_writer.column_map ? p_ledger.currency_column
       AND v_request ->> 'currency' IS NULL THEN
        v_request := v_request || jsonb_build_object('currency', _recon.fix_measure(
            p_ledger.wallet_source, ARRAY[v_request ->> 'wallet'], ARRAY[]::text[])
            -> (v_request ->> 'wallet') -> 'currency');
        IF v_request ->> 'currency' IS NULL THEN
            PERFORM _recon.fail(
                'RC305', format('the writer of ledger %s cannot fill column %s: the currency of '
                                || 'wallet %s is unknown; nothing was applied', p_ledger.name,
                                p_ledger.currency_column, v_request ->> 'wallet'),
                'The ledger keeps each entry''s currency, and neither the step, its check nor '
                || 'the wallet''s currency column says it.',
                'Give the wallet its currency (recon.backfill(..., wallet_columns => '
                || '''{"currency": "EUR"}'')), declare the check''s "currency", or map the '
                || 'column in the writer''s "columns".');
        END IF;
    END IF;
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
'wallet''s; for an INSERT writer filling a currency per row, else the wallet row''s, RC305 '
'when unknown), offset wallet, and the reference, '
'description and journal its templates give: p_sql, from _recon.fix_post_sql), and, where '
'the posting has an offset wallet, its other side there (the offset deltas, else exactly the '
'opposite): a JSON array of one or two sides.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_sides(
    _recon.fix_stage, jsonb, _recon.ledger_source, _recon.writer, bigint, text, text, jsonb
) FROM PUBLIC;
