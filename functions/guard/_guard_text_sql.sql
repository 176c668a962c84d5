-- _recon.guard_text_sql(): a column's text, for the code a guard generates, never through a cast
-- of a user's enum.
CREATE OR REPLACE FUNCTION _recon.guard_text_sql(p_type oid, p_expr text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- An enum (or a domain over one) is read by its label, through the output function every
    -- enum has (pg_catalog.format calls it): a cast to text could be a function its owner
    -- wrote (CREATE CAST ... WITH FUNCTION, even after the guard is enabled), which a sealed
    -- guard would run as the toolkit's owner. Any other type is cast to text, as before.
    SELECT CASE WHEN b.typtype = 'e' THEN format('pg_catalog.format(%L, %s)', '%s', p_expr)
                ELSE format('(%s)::pg_catalog.text', p_expr) END
    FROM pg_catalog.pg_type AS t
    JOIN pg_catalog.pg_type AS b
        ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    WHERE t.oid = p_type;
$body$;

COMMENT ON FUNCTION _recon.guard_text_sql(oid, text) IS
'SQL for the text of expression p_expr of type p_type in a guard''s generated code: an enum''s '
'(or a domain over one''s) label through its output function (pg_catalog.format(''%s'', ...)), '
'never a cast a user may have written; (p_expr)::pg_catalog.text for any other type.';

REVOKE EXECUTE ON FUNCTION _recon.guard_text_sql(oid, text) FROM PUBLIC;
