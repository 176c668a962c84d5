-- recon.describe_check(): everything about one check, including the SQL it compiled to.
CREATE OR REPLACE FUNCTION recon.describe_check(name text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_result jsonb;
BEGIN
    SELECT jsonb_build_object(
        'name', c.name, 'kind', c.kind, 'enabled', c.enabled, 'view', 'recon.' || c.view_name,
        'wallet_source', c.wallet_source, 'ledger_source', c.ledger_source,
        'options', c.options, 'currency', c.currency, 'tolerance', c.tolerance,
        'low_limit', c.low_limit, 'high_wallets', c.high_wallets,
        'critical_wallets', c.critical_wallets, 'pattern_wallets', c.pattern_wallets,
        'created_at', c.created_at, 'created_by', c.created_by, 'sql', c.compiled_sql
    ) INTO v_result
    FROM _recon.check(describe_check.name) AS c;
    RETURN v_result;
END;
$body$;

COMMENT ON FUNCTION recon.describe_check(text) IS
'One check as JSON: kind, options, thresholds, view, and the SQL it compiled to. RC107 if unknown. '
'SECURITY DEFINER: readable by recon_auditor without access to the private schema.';

REVOKE EXECUTE ON FUNCTION recon.describe_check(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.describe_check(text) TO recon_auditor, recon_operator;
