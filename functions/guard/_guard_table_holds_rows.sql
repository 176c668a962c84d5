-- _recon.guard_table_holds_rows(): whether a table (with its partitions or children) has a row.
CREATE OR REPLACE FUNCTION _recon.guard_table_holds_rows(p_relid oid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_rows boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT FROM %s)', p_relid::regclass) INTO v_rows;
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_table_holds_rows(oid) IS
'Whether the table (its partitions and inheritance children included) holds a row, as the '
'caller''s snapshot sees it: _recon.evt_guard_ddl refuses a table holding rows that leaves or '
'joins a guarded tree.';

REVOKE EXECUTE ON FUNCTION _recon.guard_table_holds_rows(oid) FROM PUBLIC;
