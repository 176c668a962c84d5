-- _recon.parent_foreign_key(): the table, if any, whose rows reach a parent without the
-- foreign key that keeps the parent row in place.
CREATE OR REPLACE FUNCTION _recon.parent_foreign_key(
    p_ledger _recon.ledger_source, p_alias text, p_guard boolean
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_spec jsonb := p_ledger.parents -> p_alias;
    v_parent oid := (v_spec ->> 'relid')::oid;
    v_child oid;
    v_column text;
    v_leaf oid;
BEGIN
    -- The rows that reach this parent: the ledger's, or another parent's ("alias.column").
    IF strpos(v_spec ->> 'via', '.') > 0 THEN
        v_child := (p_ledger.parents -> split_part(v_spec ->> 'via', '.', 1) ->> 'relid')::oid;
        v_column := substr(v_spec ->> 'via', strpos(v_spec ->> 'via', '.') + 1);
    ELSE
        v_child := p_ledger.relid;
        v_column := v_spec ->> 'via';
    END IF;
    -- Every table holding those rows, each on its own (an inheritance child inherits no
    -- foreign key; a partition has its clone of the partitioned table's): a foreign key from
    -- the column to the parent's key, enforced (PostgreSQL 18 has NOT ENFORCED), its triggers
    -- (the partition's, and those of the constraints it was cloned from: the referenced
    -- side's) enabled. That refuses a DELETE, or a change of the key, of a parent row under
    -- which rows are, or makes it cascade as writes to them. A guard needs more
    -- (p_guard): validated (a ledger row written before it may point to no row), not
    -- deferrable (checked at each statement's end, where the guard reads), and NO ACTION or
    -- RESTRICT both ways (a cascade writes the ledger from a statement on the parent).
    FOR v_leaf IN
        WITH RECURSIVE tree AS (
            SELECT v_child AS relid
            UNION
            SELECT i.inhrelid FROM tree JOIN pg_catalog.pg_inherits AS i ON i.inhparent = tree.relid
        )
        SELECT t.relid FROM tree AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.relid
        WHERE c.relkind <> 'p' ORDER BY t.relid
    LOOP
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_constraint AS k
            WHERE k.contype = 'f' AND k.conrelid = v_leaf AND k.confrelid = v_parent
              AND k.conkey = ARRAY[(SELECT a.attnum FROM pg_catalog.pg_attribute AS a
                                    WHERE a.attrelid = v_leaf AND a.attname = v_column
                                      AND NOT a.attisdropped)]
              AND k.confkey = ARRAY[(SELECT a.attnum FROM pg_catalog.pg_attribute AS a
                                     WHERE a.attrelid = v_parent
                                       AND a.attname = v_spec ->> 'key')]
              AND to_jsonb(k) ->> 'conenforced' IS DISTINCT FROM 'false'
              AND (NOT p_guard OR (k.convalidated AND NOT k.condeferrable
                                   AND k.confupdtype IN ('a', 'r')
                                   AND k.confdeltype IN ('a', 'r')))
              AND NOT EXISTS (
                  WITH RECURSIVE up AS (
                      SELECT k.oid
                      UNION
                      SELECT c.conparentid
                      FROM up JOIN pg_catalog.pg_constraint AS c ON c.oid = up.oid
                      WHERE c.conparentid <> 0
                  )
                  SELECT FROM pg_catalog.pg_trigger AS t
                  WHERE t.tgconstraint IN (SELECT up.oid FROM up)
                    AND t.tgenabled NOT IN ('O', 'A'))
        ) THEN
            RETURN v_leaf::regclass::text;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.parent_foreign_key(_recon.ledger_source, text, boolean) IS
'The foreign key a parent link needs, looked up for incremental mode '
'(_recon.incremental_parents) and for the guards (_recon.require_guard_shape, p_guard): NULL '
'when every table holding the rows that reach parent p_alias (the ledger''s, or another '
'parent''s; each partition and inheritance child) has a foreign key from the "via" column to '
'the parent''s key, enforced, its triggers enabled, and for a guard also validated, not '
'deferrable and NO ACTION or RESTRICT on delete and update; else the first table without one.';

REVOKE EXECUTE ON FUNCTION _recon.parent_foreign_key(_recon.ledger_source, text, boolean)
FROM PUBLIC;
