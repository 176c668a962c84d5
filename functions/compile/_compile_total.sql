-- _recon.compile_total(): a sum over one table against a sum over another (treasury drift, 003).
CREATE OR REPLACE FUNCTION _recon.compile_total(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', NULL, 0);
BEGIN
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       NULL::text AS wallet_key,
       s.v AS stored,
       e.v AS expected,
       (COALESCE(s.v, 0) - COALESCE(e.v, 0))::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', 'total',
           'stored_rows', s.n,
           'expected_rows', e.n,
           'cause', CASE
               WHEN s.n > s.n_value OR e.n > e.n_value
                   OR s.v IN ('NaN', 'Infinity', '-Infinity')
                   OR e.v IN ('NaN', 'Infinity', '-Infinity') THEN 'invalid_amount'
           END
       )) AS details
FROM (%2$s) AS s, (%3$s) AS e
WHERE s.n > s.n_value
   OR e.n > e.n_value
   OR s.v IN ('NaN', 'Infinity', '-Infinity')
   OR e.v IN ('NaN', 'Infinity', '-Infinity')
   OR abs(COALESCE(s.v, 0) - COALESCE(e.v, 0)) > %4$s$sql$,
        p_name, _recon.side_sql('stored', p_options -> 'stored'),
        _recon.side_sql('expected', p_options -> 'expected'), v_tol
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_total(text, jsonb) IS
'Compiles a total check: sum over the "stored" table against sum over the "expected" table, '
'each {"table", "column", optional "exclude_column" + "exclude_values"}. One finding at most.';

REVOKE EXECUTE ON FUNCTION _recon.compile_total(text, jsonb) FROM PUBLIC;
