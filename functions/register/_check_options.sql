-- _recon.check_options(): reject unknown option keys (RC106) so that a typo never goes unseen.
CREATE OR REPLACE FUNCTION _recon.check_options(
    p_what text, p_options jsonb, p_allowed text[], p_required text[] DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_bad text;
BEGIN
    IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
        PERFORM _recon.fail(
            'RC106', format('options of %s must be a JSON object', p_what),
            format('Got %s.', COALESCE(p_options::text, 'NULL')),
            'Pass options as a JSON object, e.g. ''{"ledger": "main"}''.'
        );
    END IF;
    SELECT string_agg(quote_literal(k), ', ' ORDER BY k) INTO v_bad
    FROM jsonb_object_keys(p_options) AS k WHERE k <> ALL (p_allowed);
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC106', format('unknown option %s for %s', v_bad, p_what),
            format('Known options: %s.', array_to_string(p_allowed, ', ')),
            'Check the spelling; docs/CHECKS.md lists every option.'
        );
    END IF;
    SELECT string_agg(quote_literal(k), ', ' ORDER BY k) INTO v_bad
    FROM unnest(p_required) AS k WHERE NOT (p_options ? k) OR p_options -> k = 'null';
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC106', format('option %s is required for %s', v_bad, p_what),
            format('Required options: %s.', array_to_string(p_required, ', ')),
            'docs/CHECKS.md shows an example of every kind.'
        );
    END IF;
    RETURN p_options;
END;
$body$;

COMMENT ON FUNCTION _recon.check_options(text, jsonb, text[], text[]) IS
'Returns the options if they are a JSON object with only known keys and every required key; '
'RC106 otherwise.';

REVOKE EXECUTE ON FUNCTION _recon.check_options(text, jsonb, text[], text[]) FROM PUBLIC;
