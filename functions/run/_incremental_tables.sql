-- _recon.incremental_tables(): the tables under a ledger and their change triggers.
CREATE OR REPLACE FUNCTION _recon.incremental_tables(p_relid oid)
RETURNS TABLE (relid oid, relkind text, cloned boolean, tracked boolean, ordered boolean)
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- every table that holds or routes the ledger's rows: a simple view's base table, its
    -- partitions and inheritance children, recursively; "cloned": a partition, whose triggers
    -- PostgreSQL clones from its partitioned parent's
    WITH RECURSIVE tree AS (
        SELECT COALESCE(_recon.base_table(p_relid), p_relid) AS relid, FALSE AS cloned
        UNION
        SELECT i.inhrelid, p.relkind = 'p'
        FROM tree AS t
        JOIN pg_catalog.pg_inherits AS i ON i.inhparent = t.relid
        JOIN pg_catalog.pg_class AS p ON p.oid = t.relid
    )
    SELECT c.oid, c.relkind::text, t.cloned,
           EXISTS (SELECT FROM pg_catalog.pg_trigger AS g
                   WHERE g.tgrelid = c.oid AND g.tgname = 'recon_ledger_write'
                     AND g.tgfoid = '_recon.tg_ledger_write()'::pg_catalog.regprocedure
                     AND g.tgenabled IN ('O', 'A')),
           EXISTS (SELECT FROM pg_catalog.pg_trigger AS g
                   WHERE g.tgrelid = c.oid AND g.tgname = 'recon_ledger_order'
                     AND g.tgfoid = '_recon.tg_ledger_order()'::pg_catalog.regprocedure
                     AND g.tgenabled IN ('O', 'A'))
    FROM tree AS t
    JOIN pg_catalog.pg_class AS c ON c.oid = t.relid AND c.relkind IN ('r', 'p');
$body$;

COMMENT ON FUNCTION _recon.incremental_tables(oid) IS
'The tables under a ledger (a simple view''s base table, partitions and inheritance children, '
'recursively), whether each is a partition ("cloned": its triggers are its parent''s clones), '
'and whether it has the enabled triggers of migration 0024: recon_ledger_write ("tracked": '
'UPDATE and DELETE recorded) and recon_ledger_order ("ordered": an INSERT at or below a '
'published bound recorded).';

REVOKE EXECUTE ON FUNCTION _recon.incremental_tables(oid) FROM PUBLIC;
