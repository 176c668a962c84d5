-- _recon.incremental_storage(): what incremental mode must see unchanged under a source.
CREATE OR REPLACE FUNCTION _recon.incremental_storage(p_relid oid)
RETURNS jsonb
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- every table under the source: a view's base table, then its partitions or inheritance
    -- children, recursively (pg_partition_tree does not follow inheritance)
    WITH RECURSIVE tree AS (
        SELECT COALESCE(_recon.base_table(p_relid), p_relid) AS relid
        UNION
        SELECT i.inhrelid FROM pg_catalog.pg_inherits AS i JOIN tree AS t ON i.inhparent = t.relid
    )
    SELECT jsonb_build_object(
        -- the tables that hold rows, with their storage: attached, detached, truncated,
        -- rewritten all change this
        'leaves', COALESCE(jsonb_agg(jsonb_build_array(c.oid, c.relfilenode) ORDER BY c.oid)
                           FILTER (WHERE c.relkind <> 'p'), '[]'),
        'view', (SELECT md5(pg_catalog.pg_get_viewdef(x.oid)) FROM pg_catalog.pg_class AS x
                 WHERE x.oid = p_relid AND x.relkind = 'v'),
        'updated', COALESCE(sum(pg_catalog.pg_stat_get_tuples_updated(c.oid)), 0),
        'deleted', COALESCE(sum(pg_catalog.pg_stat_get_tuples_deleted(c.oid)), 0),
        'foreign', COALESCE(bool_or(c.relkind NOT IN ('r', 'p')), FALSE))
    FROM tree AS t
    JOIN pg_catalog.pg_class AS c ON c.oid = t.relid;
$body$;

COMMENT ON FUNCTION _recon.incremental_storage(oid) IS
'The storage under a ledger or wallet source, as incremental mode compares it: {"leaves": '
'[[oid, relfilenode], ...] of every table holding its rows (itself, its partitions or '
'inheritance children, recursively; a simple view''s base table''s), "view": md5 of a view''s '
'definition, "updated"/"deleted": the leaves'' summed statistics, "foreign": a leaf without '
'local storage}. docs/INCREMENTAL.md.';

REVOKE EXECUTE ON FUNCTION _recon.incremental_storage(oid) FROM PUBLIC;
