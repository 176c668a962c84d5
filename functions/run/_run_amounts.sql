-- _recon.run_amounts(): a run's amounts per currency, each sum of money once.
CREATE OR REPLACE FUNCTION _recon.run_amounts(p_run bigint)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
-- Costly enough that a query on recon.runs with ORDER BY ... LIMIT runs it only for the rows
-- it returns (PostgreSQL evaluates costly target expressions after the sort and limit).
COST 10000
SET search_path = pg_catalog, pg_temp
AS $body$
    WITH o AS (
        SELECT f.check_name, ob.currency, ob.severity, ob.difference,
               ob.explained_by IS NOT NULL AS explained
        FROM _recon.observation AS ob
        JOIN _recon.finding AS f ON f.id = ob.finding_id
        WHERE ob.run_id = p_run
    ), cur AS (
        -- Decimal places per currency: its minor units, or more where its amounts have more
        -- (never rounded); a currency with no minor units listed, as many as its amounts have.
        SELECT o.currency, max(u.minor_units) AS minor_units,
               GREATEST(max(u.minor_units), max(scale(o.difference)), 0) AS places,
               count(*) AS findings, count(*) FILTER (WHERE o.explained) AS explained,
               COALESCE(sum(abs(o.difference)) FILTER (WHERE NOT o.explained), 0) AS amount,
               max(array_position(ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'], o.severity))
                   AS max_rank
        FROM o
        LEFT JOIN _recon.currency_unit AS u ON u.currency = o.currency
        GROUP BY o.currency
    ), sev AS (
        SELECT o.currency, o.severity, count(*) AS findings,
               count(*) FILTER (WHERE o.explained) AS explained,
               COALESCE(sum(abs(o.difference)) FILTER (WHERE NOT o.explained), 0) AS amount
        FROM o GROUP BY o.currency, o.severity
    ), chk AS (
        SELECT o.check_name, o.currency, count(*) AS findings,
               count(*) FILTER (WHERE o.explained) AS explained,
               COALESCE(sum(abs(o.difference)), 0) AS amount
        FROM o GROUP BY o.check_name, o.currency
    )
    SELECT jsonb_build_object(
        'by_currency', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                'currency', c.currency,
                'minor_units', c.minor_units,
                'findings', c.findings,
                'explained', c.explained,
                'amount', round(c.amount, c.places),
                'max_severity', (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[c.max_rank],
                'by_severity', (
                    SELECT jsonb_object_agg(s.severity, jsonb_build_object(
                        'findings', s.findings, 'explained', s.explained,
                        'amount', round(s.amount, c.places)))
                    FROM sev AS s WHERE s.currency IS NOT DISTINCT FROM c.currency))
                ORDER BY c.currency NULLS LAST)
            FROM cur AS c), '[]'::jsonb),
        'by_check', COALESCE((
            SELECT jsonb_object_agg(k.check_name, k.amounts)
            FROM (SELECT h.check_name, jsonb_agg(jsonb_build_object(
                             'currency', h.currency, 'findings', h.findings,
                             'explained', h.explained, 'amount', round(h.amount, c.places))
                             ORDER BY h.currency NULLS LAST) AS amounts
                  FROM chk AS h
                  JOIN cur AS c ON c.currency IS NOT DISTINCT FROM h.currency
                  GROUP BY h.check_name) AS k), '{}'::jsonb));
$body$;

COMMENT ON FUNCTION _recon.run_amounts(bigint) IS
'A run''s amounts, never added across currencies, from what it saw (_recon.observation): '
'{"by_currency": [{currency (null: unknown, a bucket of its own), minor_units, findings, '
'explained, amount, max_severity, by_severity: {severity: {findings, explained, amount}}}], '
'"by_check": {check: [{currency, findings, explained, amount}]}}. amount is the sum of '
'abs(difference); in by_currency a finding explained by another (explained_by: the same money) '
'is counted there and skipped here, in by_check each check''s own findings all count. Amounts '
'of a currency have one scale: its minor units (_recon.currency_unit), or more where its '
'amounts have more; never rounded. recon.reconcile() puts it in its summary; recon.runs shows '
'by_currency.';

REVOKE EXECUTE ON FUNCTION _recon.run_amounts(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _recon.run_amounts(bigint) TO recon_auditor, recon_operator;
