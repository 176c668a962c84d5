-- _recon.guard_drift_exact(): whether a drift guard's amounts print alike untrimmed.
CREATE OR REPLACE FUNCTION _recon.guard_drift_exact(
    p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_cols text[]
)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- Amounts are compared as text, so stored changes and ledger effects must print alike:
    -- they do when the balance column and the amount column of every ledger the guard sums
    -- (p_ledger and _recon.guard_drift_ledgers) have the same type with a fixed scale
    -- (numeric(14,2) and numeric(14,2)) or an integer type, and every multiplier is 1 or -1;
    -- otherwise the generated code trims trailing zeros (numeric 5.50 and 5.5 both 5.5).
    SELECT NOT EXISTS (
        SELECT FROM (SELECT p_ledger AS l
                     UNION ALL
                     SELECT o FROM _recon.guard_drift_ledgers(p_ledger, p_cols) AS o) AS x,
            unnest(p_cols) AS b,
            LATERAL (SELECT _recon.column_type_sql((x.l).relid, (x.l).amount_column) AS t)
                AS a
        WHERE (x.l).effects ? b
          AND (_recon.column_type_sql(p_wallet.relid, b) IS DISTINCT FROM a.t
               OR NOT (a.t LIKE '%(%' OR _recon.column_type((x.l).relid, (x.l).amount_column)
                       IN ('smallint', 'integer', 'bigint'))
               OR EXISTS (SELECT FROM jsonb_each_text((x.l).effects -> b) AS e
                          WHERE e.value::numeric NOT IN (1, -1))));
$body$;

COMMENT ON FUNCTION _recon.guard_drift_exact(
    _recon.ledger_source, _recon.wallet_source, text[]
) IS
'Whether a drift guard on ledger p_ledger can compare its amounts as text untrimmed: the '
'balance columns p_cols and the amount column of every ledger it sums (p_ledger and '
'_recon.guard_drift_ledgers) share one type with a fixed scale or an integer type, and every '
'multiplier is 1 or -1. Else the generated code trims trailing zeros.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_exact(
    _recon.ledger_source, _recon.wallet_source, text[]
) FROM PUBLIC;
