-- _recon.version_column(): a wallet table's optimistic-locking version column, validated.
CREATE OR REPLACE FUNCTION _recon.version_column(p_relid oid, p_option jsonb)
RETURNS name
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_col name;
BEGIN
    IF jsonb_typeof(p_option) IS DISTINCT FROM 'string' THEN
        PERFORM _recon.fail(
            'RC106', '"version" must name a column',
            format('Got %s.', p_option),
            'E.g. {"version": "version"}: an integer column your application bumps on every '
            || 'write (optimistic locking).');
    END IF;
    v_col := _recon.resolve_column(p_relid, p_option #>> '{}', 'the version');
    IF _recon.column_type(p_relid, v_col) NOT IN ('int2'::regtype, 'int4'::regtype,
                                                  'int8'::regtype) THEN
        PERFORM _recon.fail(
            'RC103',
            format('version column %I of %s is not an integer', v_col, p_relid::regclass),
            format('Its type is %s.', _recon.column_type(p_relid, v_col)),
            'A version column is smallint, integer or bigint (or a domain over one): the '
            || 'toolkit adds 1 to it on every write to a wallet row.');
    END IF;
    RETURN v_col;
END;
$body$;

COMMENT ON FUNCTION _recon.version_column(oid, jsonb) IS
'The "version" option of recon.register_wallet_source, checked: a column of the wallet table '
'(RC102), of an integer type (RC103); RC106 when the option is not a string.';

REVOKE EXECUTE ON FUNCTION _recon.version_column(oid, jsonb) FROM PUBLIC;
