-- _recon.exclude_sql(): the condition leaving out rows named by exclude_column/exclude_values.
CREATE OR REPLACE FUNCTION _recon.exclude_sql(p_relid oid, p_alias text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF p_options ? 'exclude_values' AND NOT p_options ? 'exclude_column' THEN
        PERFORM _recon.fail('RC106', '"exclude_values" needs "exclude_column"',
                            'The values are matched against that column.', 'Add "exclude_column".');
    END IF;
    IF NOT p_options ? 'exclude_column' THEN
        RETURN 'TRUE';
    END IF;
    RETURN 'NOT ' || _recon.in_list_sql(p_relid, p_alias, p_options ->> 'exclude_column',
                                        p_options -> 'exclude_values', 'exclude_values');
END;
$body$;

COMMENT ON FUNCTION _recon.exclude_sql(oid, text, jsonb) IS
'SQL condition leaving out the rows whose exclude_column is in exclude_values (e.g. a system '
'offset account), TRUE without them; RC106 for exclude_values alone or a bad list.';

REVOKE EXECUTE ON FUNCTION _recon.exclude_sql(oid, text, jsonb) FROM PUBLIC;
