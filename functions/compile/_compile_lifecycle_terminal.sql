-- _recon.compile_lifecycle_terminal(): a lifecycle check's hold and terminals, kinds of entry.
CREATE OR REPLACE FUNCTION _recon.compile_lifecycle_terminal(
    p_ledger _recon.ledger_source, p_hold text, p_options jsonb
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_terminal text;
BEGIN
    IF jsonb_typeof(p_options -> 'terminal') IS DISTINCT FROM 'array'
        OR jsonb_array_length(p_options -> 'terminal') = 0 THEN
        PERFORM _recon.fail('RC106', '"terminal" must be a non-empty array',
                            'It lists the operation types that resolve a hold.',
                            'E.g. ["RELEASE", "DEBIT"].');
    END IF;
    SELECT string_agg(quote_literal(t), ', ') INTO v_terminal
    FROM jsonb_array_elements_text(p_options -> 'terminal') AS t;
    -- The hold and its resolutions are kinds of entry of the ledger (operation values, or rule
    -- labels): one it never has would make a check that can find nothing.
    IF NOT EXISTS (SELECT FROM jsonb_each(p_ledger.effects) AS c, jsonb_object_keys(c.value) AS k
                   WHERE k = ANY (p_hold || ARRAY(
                       SELECT jsonb_array_elements_text(p_options -> 'terminal')))
                   HAVING count(DISTINCT k) = 1 + jsonb_array_length(p_options -> 'terminal'))
        THEN
        PERFORM _recon.fail(
            'RC106', format('"hold" %L or a "terminal" value is not a kind of entry of ledger %s',
                            p_hold, p_ledger.name),
            format('Its kinds: %s.', (SELECT string_agg(DISTINCT k, ', ' ORDER BY k)
                                      FROM jsonb_each(p_ledger.effects) AS c,
                                           jsonb_object_keys(c.value) AS k)),
            'Name operation values (or, for effects keyed on several columns, rule labels).'
        );
    END IF;
    RETURN v_terminal;
END;
$body$;

COMMENT ON FUNCTION _recon.compile_lifecycle_terminal(_recon.ledger_source, text, jsonb) IS
'For _recon.compile_lifecycle: RC106 unless "terminal" (in p_options) is a non-empty array '
'and the hold p_hold and every terminal are kinds of entry of ledger legs p_ledger (operation '
'values, or rule labels); returns the terminals as a list of SQL literals.';

REVOKE EXECUTE ON FUNCTION _recon.compile_lifecycle_terminal(_recon.ledger_source, text, jsonb)
FROM PUBLIC;
