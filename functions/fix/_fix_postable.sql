-- _recon.fix_postable(): whether a ledger's writer can post one entry of exactly these deltas.
CREATE OR REPLACE FUNCTION _recon.fix_postable(
    p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb
)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF p_writer.kind = 'insert' AND p_ledger.kinds IS NOT NULL THEN
        -- a rule-keyed row the toolkit can prove (_recon.writer_rule_entry); on one-sided rows
        -- the offset wallet's entry is a row of its own, judged the same way
        RETURN NOT (_recon.writer_rule_entry(p_ledger, p_writer, p_deltas) ? 'refused')
            AND (p_ledger.shape <> 'entries' OR p_writer.offset_wallet IS NULL
                 OR NOT (_recon.writer_rule_entry(p_ledger, p_writer, (
                             SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                             FROM jsonb_each_text(p_deltas) AS d)) ? 'refused'));
    END IF;
    RETURN _recon.entry_for(p_ledger, p_deltas, p_writer.entry_types) IS NOT NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_postable(_recon.ledger_source, _recon.writer, jsonb) IS
'True when the ledger''s writer can post one entry that moves the wallet by exactly p_deltas '
'({column: delta}): an entry type whose effects are those (_recon.entry_for), or on effects '
'keyed on several columns with an INSERT writer a row _recon.writer_rule_entry proves (and the '
'offset wallet''s own row on one-sided rows). _recon.fix_counters.';

REVOKE EXECUTE ON FUNCTION _recon.fix_postable(_recon.ledger_source, _recon.writer, jsonb)
FROM PUBLIC;
