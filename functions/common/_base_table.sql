-- _recon.base_table(): the one base table of a simple view, or NULL.
CREATE OR REPLACE FUNCTION _recon.base_table(p_view oid)
RETURNS oid
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- automatically updatable (one FROM item, no aggregate, DISTINCT, set operation or LIMIT),
    -- no subquery (its rows could depend on another table or on other rows) and exactly one
    -- table or partitioned table behind it
    SELECT min(d.refobjid)
    FROM pg_catalog.pg_class AS v
    JOIN pg_catalog.pg_rewrite AS r ON r.ev_class = v.oid
    JOIN pg_catalog.pg_depend AS d
        ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
       AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> v.oid
    WHERE v.oid = p_view AND v.relkind = 'v'
      AND pg_catalog.pg_relation_is_updatable(v.oid, FALSE) & 28 = 28
      AND r.ev_action::text LIKE '%:hasSubLinks false%'
    HAVING count(DISTINCT d.refobjid) = 1
       AND (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = min(d.refobjid))
           IN ('r', 'p');
$body$;

COMMENT ON FUNCTION _recon.base_table(oid) IS
'The base table of a simple view (automatically updatable, no subquery, over exactly one '
'table or partitioned table), or NULL for any other view and for anything that is not a view. '
'Incremental mode and guards read such a view through its base table.';

REVOKE EXECUTE ON FUNCTION _recon.base_table(oid) FROM PUBLIC;
