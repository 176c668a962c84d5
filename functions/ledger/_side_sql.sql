-- _recon.side_sql(): one side of a total check: "sum, rows, non-null rows" over a table.
CREATE OR REPLACE FUNCTION _recon.side_sql(p_side text, p_spec jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_relid oid;
    v_column name;
    v_where text;
BEGIN
    PERFORM _recon.check_options(
        format('the %s side of a total check', p_side), p_spec,
        ARRAY['table', 'column', 'exclude_column', 'exclude_values'], ARRAY['table', 'column']
    );
    v_relid := _recon.resolve_table(p_spec ->> 'table');
    v_column := _recon.resolve_column(v_relid, p_spec ->> 'column', 'the summed amount', TRUE);
    v_where := _recon.exclude_sql(v_relid, 'x', p_spec);
    RETURN format(
        'SELECT sum(x.%1$I)::numeric AS v, count(*) AS n, count(x.%1$I) AS n_value '
        || 'FROM %2$s AS x WHERE %3$s',
        v_column, v_relid::regclass, v_where
    );
END;
$body$;

COMMENT ON FUNCTION _recon.side_sql(text, jsonb) IS
'SQL for one side of a total check: the sum of a column over a table, its row count and '
'non-NULL count, optionally excluding rows (e.g. a system offset account).';

REVOKE EXECUTE ON FUNCTION _recon.side_sql(text, jsonb) FROM PUBLIC;
