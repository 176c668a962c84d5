-- _recon.fix_post_function_entries(): record the entries a posting function says it wrote.
CREATE OR REPLACE FUNCTION _recon.fix_post_function_entries(
    p_step _recon.fix_stage, p_ledger text, p_writer _recon.writer, p_side jsonb,
    p_result jsonb
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF jsonb_typeof(CASE jsonb_typeof(p_result) WHEN 'object'
                         THEN p_result -> 'entries' ELSE p_result END)
       IS DISTINCT FROM 'array'
       OR jsonb_array_length(CASE jsonb_typeof(p_result) WHEN 'object'
                                  THEN p_result -> 'entries'
                                  ELSE p_result END) = 0 THEN
        PERFORM _recon.fail(
            'RC306', format('posting function %s returned no entries',
                            p_writer.posting_function),
            format('It returned %s for step %s; nothing was applied.',
                   COALESCE(p_result::text, 'NULL'), p_step.step),
            'A posting function returns the ids of the entries it wrote: a JSON '
            || 'array, or {"entries": [...]}.');
    END IF;
    INSERT INTO _recon.repair_entry (repair_id, ledger_source, wallet_key, entry,
                                     deltas, posting)
    SELECT p_step.repair_id, p_ledger, p_side ->> 'wallet', e.value,
           p_side -> 'deltas', p_side
    FROM jsonb_array_elements_text(CASE jsonb_typeof(p_result)
        WHEN 'array' THEN p_result
        WHEN 'object' THEN COALESCE(p_result -> 'entries', '[]')
        ELSE '[]' END) AS e;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_function_entries(
    _recon.fix_stage, text, _recon.writer, jsonb, jsonb
) IS
'For _recon.fix_post: records in _recon.repair_entry each entry a posting function returned '
'for side p_side of step p_step (p_result: a JSON array of entry ids, or {"entries": [...]}); '
'RC306 when it returned none.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_function_entries(
    _recon.fix_stage, text, _recon.writer, jsonb, jsonb
) FROM PUBLIC;
