-- _recon.same_key_type(): two key columns that can be joined without a cast (RC108).
CREATE OR REPLACE FUNCTION _recon.same_key_type(
    p_relid oid, p_column name, p_other_relid oid, p_other_column name
)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_a regtype := _recon.column_type(p_relid, p_column);
    v_b regtype := _recon.column_type(p_other_relid, p_other_column);
    v_ints regtype[] := ARRAY['int2', 'int4', 'int8']::regtype[];
BEGIN
    IF v_a = v_b OR (v_a = ANY (v_ints) AND v_b = ANY (v_ints)) THEN
        RETURN;
    END IF;
    PERFORM _recon.fail(
        'RC108',
        format('%s.%I (%s) and %s.%I (%s) cannot be joined',
               p_relid::regclass, p_column, v_a, p_other_relid::regclass, p_other_column, v_b),
        'Keys are compared with =, so both columns must have the same type '
        || '(any two integer types are fine).',
        'Register the columns that really hold the same key, or make their types match.'
    );
END;
$body$;

COMMENT ON FUNCTION _recon.same_key_type(oid, name, oid, name) IS
'Raises RC108 unless the two columns have the same base type (or are both integers).';

REVOKE EXECUTE ON FUNCTION _recon.same_key_type(oid, name, oid, name) FROM PUBLIC;
