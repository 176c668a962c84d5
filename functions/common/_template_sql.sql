-- _recon.template_sql(): a writer's text template as an SQL expression over a posting's values.
CREATE OR REPLACE FUNCTION _recon.template_sql(
    p_template text, p_what text, p_source text DEFAULT '$1'
)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_known text[] := ARRAY['date', 'ticket', 'reason', 'strategy', 'purpose', 'fix', 'step',
                            'wallet', 'amount', 'reference', 'entry', 'source_id', 'journal',
                            'description', 'check', 'finding', 'ledger', 'owner', 'uuid', 'now'];
    v_parts text[] := '{}'::text[];
    v_rest text := p_template;
    v_match text[];
BEGIN
    IF p_template IS NULL THEN
        PERFORM _recon.fail('RC305', format('template for %s is NULL', p_what),
                            'A writer''s templates are text.', 'E.g. "RECON-{date}-{ticket}".');
    END IF;
    -- literal text, then a {placeholder}, repeatedly
    WHILE v_rest <> '' LOOP
        v_match := regexp_match(v_rest, '^([^{}]*)(\{([a-z_]*)\})?(.*)$');
        IF v_match[1] <> '' THEN
            v_parts := v_parts || quote_literal(v_match[1]);
        END IF;
        IF v_match[2] IS NULL THEN
            IF v_match[4] <> '' THEN
                PERFORM _recon.fail(
                    'RC305', format('stray brace in template %L for %s', p_template, p_what),
                    format('Placeholders: %s, each in braces.', array_to_string(v_known, ', ')),
                    'Braces only enclose a placeholder, e.g. {ticket}.');
            END IF;
            EXIT;
        END IF;
        IF v_match[3] <> ALL (v_known) THEN
            PERFORM _recon.fail(
                'RC305', format('unknown placeholder %s in template for %s', v_match[2], p_what),
                format('Placeholders: %s.', array_to_string(v_known, ', ')),
                'docs/REPAIRS.md describes each placeholder.');
        END IF;
        v_parts := v_parts || CASE v_match[3]
            WHEN 'uuid' THEN 'gen_random_uuid()::text'
            WHEN 'now' THEN 'now()::text'
            ELSE format('(%s ->> %L)', p_source, v_match[3]) END;
        v_rest := v_match[4];
    END LOOP;
    IF cardinality(v_parts) = 0 THEN
        RETURN '''''';
    END IF;
    RETURN '(' || array_to_string(v_parts, ' || ') || ')';
END;
$body$;

COMMENT ON FUNCTION _recon.template_sql(text, text, text) IS
'Compiles a writer template (literal text with {placeholders}) to an SQL text expression over '
'p_source (default $1), the posting as JSON; RC305 for an unknown placeholder or a stray '
'brace.';

REVOKE EXECUTE ON FUNCTION _recon.template_sql(text, text, text) FROM PUBLIC;
