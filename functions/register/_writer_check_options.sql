-- _recon.writer_check_options(): the options of a writer, each of its type.
CREATE OR REPLACE FUNCTION _recon.writer_check_options(
    p_name text, p_options jsonb
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_key text;
BEGIN
    PERFORM _recon.check_options('writer for ' || p_name, p_options,
                                 ARRAY['function', 'columns', 'offset_wallet', 'reference',
                                       'description', 'journal', 'entry_types',
                                       'moves_balances']);
    FOREACH v_key IN ARRAY ARRAY['function', 'offset_wallet', 'reference', 'description',
                                 'journal'] LOOP
        IF p_options ? v_key AND jsonb_typeof(p_options -> v_key) <> 'string' THEN
            PERFORM _recon.fail('RC305', format('"%s" must be a string', v_key),
                                format('Got %s.', p_options -> v_key), 'docs/REPAIRS.md.');
        END IF;
    END LOOP;
    IF p_options ? 'columns' AND jsonb_typeof(p_options -> 'columns') <> 'object' THEN
        PERFORM _recon.fail('RC305', '"columns" must be an object',
                            format('Got %s.', p_options -> 'columns'),
                            'It maps a ledger column to a constant or template.');
    END IF;
    IF p_options ? 'entry_types' AND (jsonb_typeof(p_options -> 'entry_types') <> 'array'
        OR EXISTS (SELECT FROM jsonb_array_elements(p_options -> 'entry_types') AS e
                   WHERE jsonb_typeof(e) <> 'string')) THEN
        PERFORM _recon.fail('RC305', '"entry_types" must be an array of strings',
                            format('Got %s.', p_options -> 'entry_types'),
                            'E.g. ["topup", "withdrawal"]: preferred when several types fit.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_check_options(text, jsonb) IS
'For recon.register_writer(p_name, p_options): RC106 for an unknown option; RC305 when '
'"function", "offset_wallet", "reference", "description" or "journal" is not a string, '
'"columns" not an object, or "entry_types" not an array of strings.';

REVOKE EXECUTE ON FUNCTION _recon.writer_check_options(text, jsonb) FROM PUBLIC;
