-- _recon.scale_option(): a "scale" option of a source, validated against the catalog.
CREATE OR REPLACE FUNCTION _recon.scale_option(
    p_relid oid, p_scale jsonb, p_what text, p_columns name[]
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_hint constant text := 'E.g. {"scale": 2} (cents), {"scale": {"multiplier": 100}}, or per '
        || 'row {"scale": {"column": "precision", "as": "multiplier"}} or {"scale": {"column": '
        || '"decimals", "as": "places"}} (docs/CHECKS.md "Minor units").';
    v_spec jsonb := p_scale;
    v_result jsonb;
    v_number numeric;
    v_col name;
    v_type regtype;
    v_typmod integer;
BEGIN
    IF p_scale IS NULL THEN
        RETURN NULL;
    END IF;
    -- 1. The form: a number of places, {"places": n}, {"multiplier": m}, or a column of the
    --    table and how to read it.
    IF jsonb_typeof(v_spec) = 'number' THEN
        v_spec := jsonb_build_object('places', v_spec);
    END IF;
    IF jsonb_typeof(v_spec) <> 'object'
       OR (SELECT count(*) FROM jsonb_object_keys(v_spec) AS k
           WHERE k IN ('places', 'multiplier', 'column')) <> 1
       OR EXISTS (SELECT FROM jsonb_object_keys(v_spec) AS k
                  WHERE k NOT IN ('places', 'multiplier', 'column', 'as'))
       OR (v_spec ? 'as') <> (v_spec ? 'column') THEN
        PERFORM _recon.fail(
            'RC115', format('bad "scale" for %s', p_what),
            format('Got %s: give a number of decimal places, {"places": n}, {"multiplier": m}, '
                   || 'or {"column": c, "as": "places" or "multiplier"}.', p_scale),
            v_hint);
    END IF;
    IF v_spec ? 'column' THEN
        IF jsonb_typeof(v_spec -> 'column') <> 'string'
           OR v_spec ->> 'as' IS NULL OR v_spec ->> 'as' NOT IN ('places', 'multiplier') THEN
            PERFORM _recon.fail(
                'RC115', format('bad "scale" for %s', p_what),
                format('Got %s: "column" names a column, "as" is "places" (decimal places, 2 for '
                       || 'cents) or "multiplier" (units per major unit, 100 for cents).',
                       p_scale),
                v_hint);
        END IF;
        v_col := _recon.resolve_column(p_relid, v_spec ->> 'column', 'the scale');
        v_type := _recon.column_type(p_relid, v_col);
        IF v_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
            PERFORM _recon.fail(
                'RC115', format('the scale column %I of %s is not of an integer type', v_col,
                                p_relid::regclass),
                format('It is %s; the scale of %s is read from it per row (%s).', v_type,
                       p_what, v_spec ->> 'as'),
                'Name a smallint, integer or bigint column, or a fixed scale such as '
                || '{"scale": 2}.');
        END IF;
        IF v_col = ANY (p_columns) THEN
            PERFORM _recon.fail(
                'RC115', format('the scale column %I of %s is an amount column itself', v_col,
                                p_relid::regclass),
                format('%s reads %s.', p_what, array_to_string(p_columns, ', ')),
                'Name the column holding the precision or decimal places.');
        END IF;
        v_result := jsonb_build_object('column', v_col, 'as', v_spec ->> 'as');
    ELSE
        IF jsonb_typeof(COALESCE(v_spec -> 'places', v_spec -> 'multiplier')) = 'number' THEN
            v_number := COALESCE(v_spec -> 'places', v_spec -> 'multiplier')::text::numeric;
        END IF;
        IF v_spec ? 'places' AND (v_number IS NULL OR v_number <> trunc(v_number)
                                  OR v_number NOT BETWEEN 0 AND 38) THEN
            PERFORM _recon.fail(
                'RC115', format('bad scale for %s: %s decimal places', p_what,
                                v_spec -> 'places'),
                'Decimal places are a whole number from 0 (yen) to 38 (8 for satoshis, 2 for '
                || 'cents).',
                v_hint);
        END IF;
        IF v_spec ? 'multiplier' AND (v_number IS NULL OR v_number < 1
                                      OR v_number::text !~ '^10{0,38}$') THEN
            PERFORM _recon.fail(
                'RC115', format('bad scale for %s: multiplier %s', p_what,
                                v_spec -> 'multiplier'),
                'A multiplier is the number of minor units in a major unit: a power of ten (1, '
                || '10, 100, ...); the checks compare exact decimals.',
                v_hint);
        END IF;
        v_result := jsonb_build_object('places', CASE
            WHEN v_spec ? 'places' THEN v_number::integer
            ELSE length(v_number::text) - 1 END);
    END IF;
    -- 2. Every column it scales holds whole minor units: an integer type, or a numeric without
    --    decimals. A float cannot hold them exactly; a numeric with decimals holds major units.
    FOREACH v_col IN ARRAY p_columns LOOP
        v_type := _recon.column_type(p_relid, v_col);
        SELECT CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END INTO v_typmod
        FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
        WHERE a.attrelid = p_relid AND a.attname = v_col;
        IF v_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
                          'numeric'::regtype)
           OR (v_type = 'numeric'::regtype AND v_typmod >= 4
               AND (((v_typmod - 4) & 2047) # 1024) - 1024 <> 0) THEN
            PERFORM _recon.fail(
                'RC115', format('column %I of %s (%s) cannot take a scale', v_col,
                                p_relid::regclass, format_type(v_type, v_typmod)),
                'A scale reads whole minor units (cents, satoshis): an integer column, or a '
                || 'numeric without decimals.',
                CASE WHEN v_type IN ('real'::regtype, 'double precision'::regtype)
                     THEN 'A float column is registered without "scale", in major units: the '
                          || 'checks read it, their findings say it is a float, and repairs '
                          || 'refuse it (RC320).'
                     ELSE 'Register it without "scale": it holds major units.' END);
        END IF;
    END LOOP;
    RETURN v_result;
END;
$body$;

COMMENT ON FUNCTION _recon.scale_option(oid, jsonb, text, name[]) IS
'Validates a source''s "scale" option against the catalog and returns it normalized: '
'{"places": n} for a number of decimal places (0..38) or a multiplier (a power of ten), '
'{"column": c, "as": "places"|"multiplier"} for a per-row scale read from an integer column of '
'the table; NULL when no scale is given. The scaled columns p_columns must be smallint, integer, '
'bigint or numeric without decimals. RC115 (docs/SQLSTATES.md), RC102 for an unknown column.';

REVOKE EXECUTE ON FUNCTION _recon.scale_option(oid, jsonb, text, name[]) FROM PUBLIC;
