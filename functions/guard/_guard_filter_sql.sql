-- _recon.guard_filter_sql(): whether a trigger row passes a ledger source's entry filters, for
-- the code a guard generates (every name and operator schema-qualified).
CREATE OR REPLACE FUNCTION _recon.guard_filter_sql(p_ledger _recon.ledger_source, p_row text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The same filters as _recon.legs_sql() applies, over the trigger row p_row (new or old):
    -- an operator of the column's type (looked up in the catalog, pg_catalog's otherwise),
    -- "in" as = ANY, "not in" as <> ALL (both NULL for a NULL column, as IN is), values as
    -- literals cast to the column's type by its qualified name. NULL without filters.
    SELECT string_agg(CASE
        WHEN f ->> 'op' = 'is null' THEN format('(%s.%I) IS NULL', p_row, f ->> 'column')
        WHEN f ->> 'op' = 'is not null' THEN format('(%s.%I) IS NOT NULL', p_row, f ->> 'column')
        ELSE format('(%s.%I) OPERATOR(%s.%s) %s', p_row, f ->> 'column', o.nspname,
                    CASE f ->> 'op' WHEN 'in' THEN '=' WHEN 'not in' THEN '<>' ELSE f ->> 'op' END,
                    CASE WHEN f ->> 'op' IN ('in', 'not in')
                         THEN format('%s (ARRAY[%s])',
                                     CASE f ->> 'op' WHEN 'in' THEN 'ANY' ELSE 'ALL' END,
                                     (SELECT string_agg(format('%L::%I.%I', v, t.nspname,
                                                               t.typname), ', ')
                                      FROM jsonb_array_elements_text(f -> 'values') AS v))
                         ELSE format('%L::%I.%I', f -> 'values' ->> 0, t.nspname, t.typname)
                    END)
    END, ' AND ' ORDER BY u.i)
    FROM jsonb_array_elements(p_ledger.filters) WITH ORDINALITY AS u (f, i)
    CROSS JOIN LATERAL (
        SELECT ty.oid, ty.typname, n.nspname
        FROM pg_catalog.pg_type AS ty
        JOIN pg_catalog.pg_namespace AS n ON n.oid = ty.typnamespace
        WHERE ty.oid = _recon.column_type(p_ledger.relid, (f ->> 'column')::name)
    ) AS t
    CROSS JOIN LATERAL (
        SELECT COALESCE((
            SELECT n.nspname FROM pg_catalog.pg_operator AS op
            JOIN pg_catalog.pg_namespace AS n ON n.oid = op.oprnamespace
            WHERE op.oprname = CASE f ->> 'op' WHEN 'in' THEN '=' WHEN 'not in' THEN '<>'
                                              ELSE f ->> 'op' END
              AND op.oprleft = t.oid AND op.oprright = t.oid
            ORDER BY n.nspname <> 'pg_catalog' LIMIT 1), 'pg_catalog') AS nspname
    ) AS o;
$body$;

COMMENT ON FUNCTION _recon.guard_filter_sql(_recon.ledger_source, text) IS
'SQL condition over trigger row p_row (new or old) true when the row passes the ledger '
'source''s entry filters, as _recon.legs_sql() applies them (NULL: the row does not count), '
'with every operator and type schema-qualified. NULL when the source has no filters.';

REVOKE EXECUTE ON FUNCTION _recon.guard_filter_sql(_recon.ledger_source, text) FROM PUBLIC;
