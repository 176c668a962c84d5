-- _recon.column_default_text(): a column's default, as it stores it, when known before an INSERT.
CREATE OR REPLACE FUNCTION _recon.column_default_text(p_relid oid, p_column text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_expr text;
    v_tree text;
    v_text text;
BEGIN
    SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid), d.adbin::text INTO v_expr, v_tree
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = p_relid AND a.attname = p_column AND NOT a.attisdropped
      AND a.attgenerated = '' AND a.attidentity = '';
    IF v_expr IS NULL THEN
        RETURN NULL;
    END IF;
    -- Only a default every INSERT stores the same value for: one that calls no function or
    -- operator that is not immutable (nextval, now(), random(), CURRENT_TIMESTAMP, a user
    -- function), else the value read now need not be the one the row gets.
    IF v_tree ~ '\{(SQLVALUEFUNCTION|NEXTVALUEEXPR|SUBLINK|PARAM) '
       OR EXISTS (
           SELECT FROM regexp_matches(v_tree, ':(funcid|opfuncid|opno) (\d+)', 'g') AS m
           LEFT JOIN pg_catalog.pg_operator AS o ON m[1] = 'opno' AND o.oid = m[2]::oid
           LEFT JOIN pg_catalog.pg_proc AS p
               ON p.oid = CASE WHEN m[1] = 'opno' THEN o.oprcode::oid ELSE m[2]::oid END
           WHERE m[2] <> '0' AND p.provolatile IS DISTINCT FROM 'i') THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT (%s)::text', v_expr) INTO v_text;
    RETURN to_jsonb(v_text);
END;
$body$;

COMMENT ON FUNCTION _recon.column_default_text(oid, text) IS
'The value column p_column of p_relid takes when an INSERT leaves it out, read back as text (a '
'JSON string; JSON null for a NULL default), when it is the same for every INSERT: NULL (SQL) '
'when the column has no default, is generated or an identity, or its default calls anything '
'that is not immutable (a sequence, the clock, a user function). _recon.writer_rule_entry fills '
'a NOT NULL key column the chosen effect rule does not name with it.';

REVOKE EXECUTE ON FUNCTION _recon.column_default_text(oid, text) FROM PUBLIC;
