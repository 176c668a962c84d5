-- _recon.rebuild_discrepancies(): recon.discrepancies as the union of every enabled check.
CREATE OR REPLACE FUNCTION _recon.rebuild_discrepancies()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_sql text;
BEGIN
    SELECT string_agg(format(
        'SELECT d.check_name, d.wallet_key, d.stored, d.expected, d.difference, d.details '
        || 'FROM recon.%I AS d', c.view_name), E'\nUNION ALL\n' ORDER BY c.name)
    INTO v_sql
    FROM _recon.check_def AS c WHERE c.enabled;
    EXECUTE 'CREATE OR REPLACE VIEW recon.discrepancies AS ' || COALESCE(v_sql,
        'SELECT NULL::text AS check_name, NULL::text AS wallet_key, NULL::numeric AS stored, '
        || 'NULL::numeric AS expected, NULL::numeric AS difference, NULL::jsonb AS details '
        || 'WHERE FALSE');
END;
$body$;

COMMENT ON FUNCTION _recon.rebuild_discrepancies() IS
'Re-creates recon.discrepancies as the UNION ALL of the views of all enabled checks (an empty '
'view when there are none). Called by register_check, enable_check, disable_check, drop_check.';

REVOKE EXECUTE ON FUNCTION _recon.rebuild_discrepancies() FROM PUBLIC;
