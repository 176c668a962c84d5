-- _recon.resolve_column(): a column of a registered table, validated against the catalog.
CREATE OR REPLACE FUNCTION _recon.resolve_column(
    p_relid oid, p_column text, p_role text, p_numeric boolean DEFAULT FALSE
)
RETURNS name
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_type oid;
BEGIN
    SELECT COALESCE(NULLIF(t.typbasetype, 0), a.atttypid) INTO v_type
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC102',
            format('unknown column %L for %s in %s', p_column, p_role, p_relid::regclass),
            format('%s has columns: %s.', p_relid::regclass, (
                SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = p_relid AND a.attnum > 0 AND NOT a.attisdropped
            )),
            'Column names are case-sensitive here: give them exactly as stored, without quotes.'
        );
    END IF;
    IF p_numeric AND v_type NOT IN (
        'int2'::regtype, 'int4'::regtype, 'int8'::regtype,
        'numeric'::regtype, 'float4'::regtype, 'float8'::regtype
    ) THEN
        PERFORM _recon.fail(
            'RC103',
            format('column %I of %s (%s) is not numeric', p_column, p_relid::regclass, p_role),
            format('Its type is %s.', v_type::regtype),
            'Amounts and balances must be smallint, integer, bigint, numeric, real or '
            || 'double precision (or a domain over one).'
        );
    END IF;
    RETURN p_column::name;
END;
$body$;

COMMENT ON FUNCTION _recon.resolve_column(oid, text, text, boolean) IS
'Returns the column name if the table has it (RC102 otherwise) and, when asked, if it is '
'numeric (RC103 otherwise). p_role names its use in the error message.';

REVOKE EXECUTE ON FUNCTION _recon.resolve_column(oid, text, text, boolean) FROM PUBLIC;
