-- _recon.legs_sql(): a ledger source's canonical legs relation, as an SQL subquery.
CREATE OR REPLACE FUNCTION _recon.legs_sql(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT _recon.legs_query(p_ledger, NULL, NULL);
$body$;

COMMENT ON FUNCTION _recon.legs_sql(_recon.ledger_source) IS
'A ledger source''s canonical legs relation, as a parenthesized subquery: one row per leg '
'(an entry, or each side of a transfer row) that the filters keep, with columns wallet, amount '
'(in major units, exactly, when the source has a scale: docs/CHECKS.md "Minor units"), '
'kind (direction, operation, side or rule label; absent for a signed ledger), and those '
'registered of entry_id, reference, posted_at, ord, version, journal, status, currency, '
'balance_after, after_<i> (the running balance of the wallet source''s i-th balance column); '
'for a shape with sides and no rules also effect_<i>, the leg''s signed effect on the i-th '
'balance column (what _recon.effect_sql() computes from kind, folded per branch). A one-sided '
'ledger without filters or parents is a plain scan of its table, which the planner inlines. '
'Every check reads it, with _recon.legs() naming its columns. docs/CHECKS.md "Ledger shapes".';

REVOKE EXECUTE ON FUNCTION _recon.legs_sql(_recon.ledger_source) FROM PUBLIC;
