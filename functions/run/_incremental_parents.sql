-- _recon.incremental_parents(): why a ledger's parent rows keep it from running incrementally.
CREATE OR REPLACE FUNCTION _recon.incremental_parents(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_alias text;
    v_spec jsonb;
    v_table oid;
    v_kind "char";
    v_child oid;
    v_column name;
    v_leaf oid;
    v_att smallint;
    v_missing text;
BEGIN
    -- Each parent in resolution order: a changed parent row is found by its xmin; the entries
    -- under it by an index on the column that reaches it, link by link down to the ledger; and
    -- a foreign key on each link makes sure no parent row leaves a key behind unseen (a DELETE,
    -- or an UPDATE of the key, is refused, or cascades as a write to the rows under it).
    FOR v_alias, v_spec IN SELECT e.key, e.value FROM jsonb_each(p_ledger.parents) AS e
                           ORDER BY (e.value ->> 'order')::integer LOOP
        v_table := (v_spec ->> 'relid')::oid;
        SELECT c.relkind INTO v_kind FROM pg_catalog.pg_class AS c WHERE c.oid = v_table;
        IF v_kind NOT IN ('r', 'p') THEN
            RETURN format('parent %s: %s is a view, or a materialized or foreign table: its rows '
                          || 'have no xmin to tell which changed', v_alias, v_table::regclass);
        END IF;
        IF v_kind = 'r' AND EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
                                    WHERE i.inhparent = v_table) THEN
            RETURN format('parent %s: %s has inheritance children: its unique key and the foreign '
                          || 'keys to it hold in the parent table only', v_alias,
                          v_table::regclass);
        END IF;
        IF (_recon.incremental_storage(v_table) ->> 'foreign')::boolean THEN
            RETURN format('parent %s: a partition of %s is a foreign table', v_alias,
                          v_table::regclass);
        END IF;
        -- The rows that reach this parent: the ledger's, or another parent's ("alias.column").
        IF strpos(v_spec ->> 'via', '.') > 0 THEN
            v_child := (p_ledger.parents -> split_part(v_spec ->> 'via', '.', 1) ->> 'relid')::oid;
            v_column := substr(v_spec ->> 'via', strpos(v_spec ->> 'via', '.') + 1);
        ELSE
            v_child := p_ledger.relid;
            v_column := v_spec ->> 'via';
            IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = v_child)
               NOT IN ('r', 'p') THEN
                RETURN 'the ledger is a view and reads parent rows: the foreign keys and indexes '
                       || 'that show which entries a changed parent row reaches are looked up on '
                       || 'tables only';
            END IF;
        END IF;
        -- the foreign key on every table holding those rows (_recon.parent_foreign_key)
        v_missing := _recon.parent_foreign_key(p_ledger, v_alias, FALSE);
        IF v_missing IS NOT NULL THEN
            RETURN format('parent %s: no foreign key from %s (%s) to %s (%s): without one a '
                          || 'parent row can be deleted, or its key changed, under old '
                          || 'entries, unseen', v_alias, v_missing, v_column,
                          v_table::regclass, v_spec ->> 'key');
        END IF;
        -- and an index on each (an inheritance child inherits none)
        FOR v_leaf IN SELECT (l ->> 0)::oid
                      FROM jsonb_array_elements(_recon.incremental_storage(v_child) -> 'leaves')
                          AS l LOOP
            SELECT a.attnum INTO v_att FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = v_leaf AND a.attname = v_column AND NOT a.attisdropped;
            IF NOT EXISTS (
                SELECT FROM pg_catalog.pg_index AS i
                WHERE i.indrelid = v_leaf AND i.indkey[0] = v_att AND i.indisvalid
                  AND i.indisready AND i.indpred IS NULL
            ) THEN
                RETURN format('parent %s: no index on %s (%s) to find the rows under a changed '
                              || 'parent row without reading the whole table', v_alias,
                              v_leaf::regclass, v_column);
            END IF;
        END LOOP;
    END LOOP;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.incremental_parents(_recon.ledger_source) IS
'NULL when a ledger''s parent rows ("parents") can be followed incrementally, else why not: '
'each parent must be a table or a partitioned table (its rows'' xmin tells which changed; no '
'inheritance children, no foreign partition), and on every table holding the rows that reach '
'it (the ledger''s partitions or children, or another parent''s) its "via" column needs an '
'enforced foreign key to the parent''s key (so a parent row cannot be deleted, or its key '
'changed, under old entries unseen) and an index leading with that column (to find those '
'rows). A ledger that is a view and has parents: never. docs/INCREMENTAL.md.';

REVOKE EXECUTE ON FUNCTION _recon.incremental_parents(_recon.ledger_source) FROM PUBLIC;
