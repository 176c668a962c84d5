-- _recon.key_equals(): the equality operator of a key type, as SQL to put between two keys.
CREATE OR REPLACE FUNCTION _recon.key_equals(p_type regtype)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The SQL the toolkit generates runs with search_path = pg_catalog: a bare = between two
    -- keys of an extension's type (citext) finds no operator of that type there and falls
    -- back to text equality, so 'Alice@x' and 'alice@x' were two wallets in a join while
    -- GROUP BY and the state's primary key (the type's own operator class) keep them one.
    -- The operator of the type's default btree class, schema-qualified when not built in.
    SELECT COALESCE((
        SELECT CASE WHEN o.oprnamespace = 'pg_catalog'::regnamespace THEN '='
                    ELSE format('OPERATOR(%I.=)', n.nspname) END
        FROM pg_opclass AS c
        JOIN pg_amop AS ao
            ON ao.amopfamily = c.opcfamily AND ao.amopstrategy = 3
           AND ao.amoplefttype = c.opcintype AND ao.amoprighttype = c.opcintype
        JOIN pg_operator AS o ON o.oid = ao.amopopr
        JOIN pg_namespace AS n ON n.oid = o.oprnamespace
        WHERE c.opcmethod = (SELECT a.oid FROM pg_am AS a WHERE a.amname = 'btree')
          AND c.opcdefault
          AND c.opcintype = COALESCE(
              (SELECT NULLIF(t.typbasetype, 0) FROM pg_type AS t WHERE t.oid = p_type), p_type)
        LIMIT 1), '=');
$body$;

COMMENT ON FUNCTION _recon.key_equals(regtype) IS
'The equality of key type p_type (a domain: its base type) as SQL between two keys: = for a '
'built-in type, else OPERATOR(schema.=) of its default btree operator class (citext), which '
'generated SQL (run with search_path = pg_catalog) would otherwise not find, comparing the '
'keys'' texts instead.';

REVOKE EXECUTE ON FUNCTION _recon.key_equals(regtype) FROM PUBLIC;
