-- _recon.guard_tree_members(): every table of every enabled guard's tables' trees.
CREATE OR REPLACE FUNCTION _recon.guard_tree_members()
RETURNS TABLE (guard_id integer, root oid, relid oid)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The tables a guard put its triggers on ("roots"), and their partitions and inheritance
    -- children at any depth: the rows of each are rows of its root.
    WITH RECURSIVE r AS (
        SELECT DISTINCT g.id AS guard_id, c.oid AS root
        FROM _recon.guard AS g
        CROSS JOIN LATERAL jsonb_array_elements(g.compiled -> 'roots') AS t (value)
        JOIN pg_catalog.pg_class AS c ON c.oid = to_regclass(t.value ->> 'table')
    ), tree AS (
        SELECT r.guard_id, r.root, r.root AS relid FROM r
        UNION
        SELECT tree.guard_id, tree.root, i.inhrelid
        FROM tree JOIN pg_catalog.pg_inherits AS i ON i.inhparent = tree.relid
    )
    SELECT tree.guard_id, tree.root, tree.relid FROM tree;
$body$;

COMMENT ON FUNCTION _recon.guard_tree_members() IS
'Every table of the trees of the enabled guards'' tables: (guard, root, table), a root being a '
'table the guard put its triggers on, the others its partitions and inheritance children at '
'any depth. The event trigger function _recon.evt_guard_ddl compares them before and after a '
'DDL statement.';

REVOKE EXECUTE ON FUNCTION _recon.guard_tree_members() FROM PUBLIC;
