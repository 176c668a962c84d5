-- _recon.derived_balance_columns(): the GENERATED balance columns computed from the others.
CREATE OR REPLACE FUNCTION _recon.derived_balance_columns(p_ws _recon.wallet_source)
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- a GENERATED balance column every column of whose expression is a writable balance column
    -- of the source (balance * 100, available + on_hold): it moves exactly as they do, which
    -- the repairs verify, so it is neither set nor compared itself
    -- (the writable set computed once, not once per generated column)
    WITH writable AS (SELECT _recon.writable_balance_columns(p_ws) AS cols)
    SELECT ARRAY(
        SELECT g.attname::text
        FROM pg_attribute AS g, writable AS w
        WHERE g.attrelid = p_ws.relid AND g.attgenerated <> '' AND NOT g.attisdropped
          AND g.attname = ANY (p_ws.balance_columns)
          AND NOT EXISTS (
              SELECT FROM pg_depend AS d
              JOIN pg_attribute AS b ON b.attrelid = d.refobjid AND b.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::regclass AND d.objid = p_ws.relid
                AND d.objsubid = g.attnum AND d.refclassid = 'pg_class'::regclass
                AND d.refobjid = p_ws.relid AND d.refobjsubid > 0
                AND b.attname <> ALL (w.cols))
        ORDER BY g.attnum);
$body$;

COMMENT ON FUNCTION _recon.derived_balance_columns(_recon.wallet_source) IS
'The GENERATED balance columns of wallet source p_ws computed only from its writable balance '
'columns (_recon.writable_balance_columns): they move exactly as those do, so a repair neither '
'sets them nor checks them itself (_recon.fix_post_first_sql, _recon.fix_conserve). Any other '
'GENERATED balance column is compared like a stored one: a repair must leave it unchanged.';

REVOKE EXECUTE ON FUNCTION _recon.derived_balance_columns(_recon.wallet_source) FROM PUBLIC;
