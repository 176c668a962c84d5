-- _recon.guard_drift_key_expr_sql(): a wallet key, as it is written in a drift guard's
-- accumulator and spill.
CREATE OR REPLACE FUNCTION _recon.guard_drift_key_expr_sql(p_type oid, p_expr text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The accumulator separates its records with ',': a key whose text can hold one (text,
    -- varchar, ...) has its '%' and ',' escaped; numbers and uuids are written as they are.
    -- An enum's text is its label (_recon.guard_text_sql: never a cast its owner wrote). A
    -- citext key is written lower case: citext compares case-insensitively (lower()), and so
    -- does the balance check's join, so 'Alice' and 'alice' are one wallet.
    SELECT CASE WHEN t.typcategory = 'N' OR t.oid = 'uuid'::regtype
                THEN format('(%s)::pg_catalog.text', p_expr)
                ELSE format('pg_catalog.replace(pg_catalog.replace(%s, '
                            '''%%'', ''%%25''), '','', ''%%2C'')',
                            CASE WHEN t.typname = 'citext'
                                 THEN format('pg_catalog.lower(%s)',
                                             _recon.guard_text_sql(p_type, p_expr))
                                 ELSE _recon.guard_text_sql(p_type, p_expr) END) END
    FROM pg_catalog.pg_type AS t
    WHERE t.oid = p_type;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_key_expr_sql(oid, text) IS
'SQL expression for a wallet key (SQL expression p_expr of type p_type) as a drift guard '
'writes it, in its accumulator and in _recon.guard_spill: text, escaped (% as %25, comma as '
'%2C) unless the type is a number or a uuid; an enum by its label, a citext key lower case '
'(citext compares case-insensitively). _recon.guard_drift_records() reads it back.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_key_expr_sql(oid, text) FROM PUBLIC;
