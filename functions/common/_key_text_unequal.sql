-- _recon.key_text_unequal(): why a key column's equality is not that of its text, or NULL.
CREATE OR REPLACE FUNCTION _recon.key_text_unequal(p_relid oid, p_column name)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- What keeps keys as text (the incremental state, the guards' sums) finds a key again only
    -- where two values are equal exactly when their texts are: integers, uuid, and strings
    -- under a deterministic collation. citext, a nondeterministic (case- or accent-insensitive)
    -- collation, numeric (1.0 = 1.00) and other types are not. A domain is judged by its base.
    WITH RECURSIVE t (oid, base, depth) AS (
        SELECT a.atttypid, y.typbasetype, 0
        FROM pg_attribute AS a JOIN pg_type AS y ON y.oid = a.atttypid
        WHERE a.attrelid = p_relid AND a.attname = p_column
        UNION ALL
        SELECT t.base, y.typbasetype, t.depth + 1
        FROM t JOIN pg_type AS y ON y.oid = t.base
        WHERE t.base <> 0 AND t.depth < 16
    )
    SELECT CASE
        WHEN (SELECT t.oid FROM t ORDER BY t.depth DESC LIMIT 1) NOT IN (
                'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype,
                'text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype)
            THEN format('%s.%s is of type %s, whose equality is not that of its text',
                        p_relid::regclass, quote_ident(p_column),
                        format_type(a.atttypid, a.atttypmod))
        WHEN a.attcollation <> 0 AND NOT (SELECT c.collisdeterministic FROM pg_collation AS c
                                          WHERE c.oid = a.attcollation)
            THEN format('%s.%s has the nondeterministic collation %s: two keys can be equal '
                        || 'with different texts', p_relid::regclass, quote_ident(p_column),
                        (SELECT quote_ident(c.collname) FROM pg_collation AS c
                         WHERE c.oid = a.attcollation))
    END
    FROM pg_attribute AS a
    WHERE a.attrelid = p_relid AND a.attname = p_column;
$body$;

COMMENT ON FUNCTION _recon.key_text_unequal(oid, name) IS
'NULL when two values of column p_column of relation p_relid are equal exactly when their '
'texts are (integers, uuid, text/varchar/char/name under a deterministic collation, a domain '
'over one of them), else why not (citext, numeric, a nondeterministic collation, ...): what '
'keeps wallet keys as text (the incremental state) cannot follow such keys.';

REVOKE EXECUTE ON FUNCTION _recon.key_text_unequal(oid, name) FROM PUBLIC;
