-- _recon.fix_post_entry(): a side of a posting with the entry type or rule row that realises it.
CREATE OR REPLACE FUNCTION _recon.fix_post_entry(
    p_side jsonb, p_ledger _recon.ledger_source, p_writer _recon.writer, p_step integer
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_entry jsonb;
BEGIN
    IF p_writer.kind = 'insert' AND p_ledger.kinds IS NOT NULL THEN
        -- effects keyed on several columns: the row that moves exactly these deltas
        -- (its key values, and on transfer rows the other leg exactly the
        -- opposite), or none; a transfer row's offset leg is that same row
        v_entry := CASE WHEN p_side ->> 'side' = 'offset' AND p_ledger.shape <> 'entries'
                        THEN '{}'::jsonb
                        ELSE _recon.writer_rule_entry(p_ledger, p_writer,
                                                      p_side -> 'deltas') END;
        IF v_entry ? 'refused' THEN
            PERFORM _recon.fail(
                'RC306', format('ledger %s: %s', p_ledger.name, v_entry ->> 'refused'),
                format('Step %s of the repair; nothing was applied.', p_step),
                'Run the dry run again (it plans such a step manual); repair it by '
                || 'hand, or acknowledge it.');
        END IF;
    ELSE
        v_entry := _recon.entry_for(p_ledger, p_side -> 'deltas', p_writer.entry_types);
    END IF;
    IF v_entry IS NULL THEN
        PERFORM _recon.fail(
            'RC306', format('no entry type of ledger %s moves %s', p_ledger.name,
                            p_side -> 'deltas'),
            format('Step %s of the repair needs one; nothing was applied.', p_step),
            'Register an entry type with that effect, or use another strategy.');
    END IF;
    RETURN p_side || v_entry;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_entry(jsonb, _recon.ledger_source, _recon.writer, integer)
IS
'For _recon.fix_post: side p_side of a posting of step p_step with the entry type or direction '
'that realises its deltas (_recon.entry_for), or on effects keyed on several columns and an '
'INSERT writer the rule row _recon.writer_rule_entry proves (a transfer row''s offset leg: '
'that same row). RC306 when none does.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_entry(
    jsonb, _recon.ledger_source, _recon.writer, integer
) FROM PUBLIC;
