-- _recon.template_fill(): a template of generated code with its named slots filled.
CREATE OR REPLACE FUNCTION _recon.template_fill(p_template text, p_slots jsonb)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- the text between the slots, and the slots' names, in order
    v_parts text[] := regexp_split_to_array(p_template, '\{\{[a-z0-9_]+\}\}');
    v_names text[] := ARRAY(SELECT m[1] FROM regexp_matches(p_template, '\{\{([a-z0-9_]+)\}\}',
                                                               'g') AS m);
    v_wrong text;
    v_indent text;
    v_value text;
    v_out text := v_parts[1];
BEGIN
    -- A slot without a value, a value without a slot, or a value that is not a string is a
    -- mistake of the generator, never silently empty.
    SELECT string_agg(x.msg, '; ' ORDER BY x.msg) INTO v_wrong
    FROM (SELECT format('slot {{%s}} has no value', n) AS msg
          FROM unnest(v_names) AS n
          WHERE jsonb_typeof(p_slots -> n) IS DISTINCT FROM 'string'
          UNION
          SELECT format('value %s fills no slot', k)
          FROM jsonb_object_keys(p_slots) AS k
          WHERE k <> ALL (v_names)) AS x;
    IF v_wrong IS NOT NULL THEN
        RAISE EXCEPTION 'template: %', v_wrong USING ERRCODE = 'internal_error';
    END IF;
    -- One pass (a value holding "{{x}}" stays as it is). A slot that starts its line (after
    -- spaces) indents every further line of its value (but empty ones) to its column; empty,
    -- it takes its whole line away.
    FOR i IN 1 .. cardinality(v_names) LOOP
        v_indent := substring(v_parts[i] FROM E'(?:^|\n)( *)$');
        v_value := p_slots ->> v_names[i];
        IF v_value = '' AND v_indent IS NOT NULL AND starts_with(v_parts[i + 1], E'\n') THEN
            v_out := left(v_out, length(v_out) - length(v_indent)) || substr(v_parts[i + 1], 2);
        ELSE
            v_out := v_out || regexp_replace(v_value, E'\n(?=[^\n])',
                                             E'\n' || COALESCE(v_indent, ''), 'g')
                     || v_parts[i + 1];
        END IF;
    END LOOP;
    RETURN v_out;
END;
$body$;

COMMENT ON FUNCTION _recon.template_fill(text, jsonb) IS
'Template p_template with each named slot {{name}} replaced by p_slots ->> name, in one pass; '
'a multi-line value in a slot that starts its line (after spaces) is indented to the slot, and '
'an empty one there takes its line away. '
'A slot without a string value, or a value no slot names, is an error (XX000): a generator''s '
'mistake, never silent.';

REVOKE EXECUTE ON FUNCTION _recon.template_fill(text, jsonb) FROM PUBLIC;
