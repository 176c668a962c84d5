-- _recon.legs_kind_sql(): a direction or operation column as the legs relation's kind.
CREATE OR REPLACE FUNCTION _recon.legs_kind_sql(p_relid oid, p_column name)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- An enum (or a domain over one) is its label, read through the enum's output function
    -- (pg_catalog.format), as every reader of kind compares it as text: a sealed guard reads
    -- the legs relation as the toolkit's owner, and a cast from the enum to text could be a
    -- function its owner wrote. Any other type is the column as it is.
    SELECT CASE WHEN b.typtype = 'e'
                THEN format('pg_catalog.format(%L, r.%I)', '%s', p_column)
                ELSE format('r.%I', p_column) END
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    JOIN pg_catalog.pg_type AS b
        ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    WHERE a.attrelid = p_relid AND a.attname = p_column AND NOT a.attisdropped;
$body$;

COMMENT ON FUNCTION _recon.legs_kind_sql(oid, name) IS
'SQL for the kind column of a legs relation read from direction or operation column p_column '
'of table p_relid (alias r): an enum''s label through its output function '
'(pg_catalog.format(''%s'', r.col)), never a cast a user may have written, so that a sealed '
'guard reading the legs as the toolkit''s owner runs no user code; r.col for any other type.';

REVOKE EXECUTE ON FUNCTION _recon.legs_kind_sql(oid, name) FROM PUBLIC;
