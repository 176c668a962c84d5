-- _recon.guard_tree_triggers(): a guard's triggers on every table of its tables' trees.
CREATE OR REPLACE FUNCTION _recon.guard_tree_triggers(p_triggers jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- Rows written into a partition or an inheritance child are the parent's rows too, so the
    -- child needs the parent's guard triggers:
    -- * a partitioned table's row triggers are cloned by PostgreSQL to every partition, now and
    --   later: they stay on the parent alone;
    -- * statement triggers (transition tables, TRUNCATE) fire only for the table a statement
    --   names, and an inheritance parent's row triggers never fire for its children's rows:
    --   both go on every table of the tree, under the same name.
    -- A statement naming the parent fires only the parent's statement triggers, whose
    -- transition tables hold the children's rows too: nothing is counted twice.
    WITH RECURSIVE t AS (
        SELECT x.value AS trg, x.ordinality AS o, (x.value ->> 'table')::regclass::oid AS root
        FROM jsonb_array_elements(p_triggers) WITH ORDINALITY AS x
        WHERE to_regclass(x.value ->> 'table') IS NOT NULL  -- a table dropped since
    ), tree AS (
        SELECT t.root, t.root AS relid, 0 AS depth FROM t
        UNION
        SELECT tree.root, i.inhrelid, tree.depth + 1
        FROM tree JOIN pg_catalog.pg_inherits AS i ON i.inhparent = tree.relid
    )
    SELECT COALESCE(jsonb_agg(
        CASE WHEN m.relid = t.root THEN t.trg
             ELSE t.trg || jsonb_build_object(
                 'table', m.relid::regclass::text,
                 'root', t.root::regclass::text,
                 'definition', replace(t.trg ->> 'definition',
                                       ' ON ' || t.root::regclass::text || ' ',
                                       ' ON ' || m.relid::regclass::text || ' ')) END
        ORDER BY m.depth, t.o, m.relid), '[]')
    FROM t
    JOIN tree AS m ON m.root = t.root
    WHERE m.relid = t.root
       OR NOT (t.trg ->> 'definition' LIKE '% FOR EACH ROW %'
               AND (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = t.root) = 'p');
$body$;

COMMENT ON FUNCTION _recon.guard_tree_triggers(jsonb) IS
'A guard''s triggers ([{"table", "trigger", "definition", ...}] on the tables it names) '
'spread over those tables'' partition and inheritance trees: statement triggers on every '
'table of the tree, row triggers on every inheritance child (a partitioned table''s row '
'triggers are cloned to its partitions by PostgreSQL). A child''s entry carries "root". '
'Tables created or attached later get theirs from the event trigger recon_guard_children.';

REVOKE EXECUTE ON FUNCTION _recon.guard_tree_triggers(jsonb) FROM PUBLIC;
