-- _recon.stage_keys_sql(): a check's rows with the finding keys a run stages them under.
CREATE OR REPLACE FUNCTION _recon.stage_keys_sql(p_rows text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT format(
    'SELECT d.check_name, d.fkey || CASE WHEN count(*) OVER (PARTITION BY d.fkey) > 1 '
    || 'THEN ''#'' || row_number() OVER (PARTITION BY d.fkey ORDER BY d.details::text, '
    || 'd.difference, d.stored, d.expected) ELSE '''' END AS finding_key, '
    || 'd.wallet_key, d.stored, d.expected, d.difference, d.details '
    || 'FROM (SELECT f.check_name, f.wallet_key, f.stored, f.expected, f.difference, '
    || 'f.details, concat_ws(''/'', COALESCE(f.wallet_key, ''-''), f.details ->> ''item'') '
    || 'AS fkey FROM (%s) AS f) AS d', p_rows)
$body$;

COMMENT ON FUNCTION _recon.stage_keys_sql(text) IS
'The SQL of p_rows (a check''s view, or a query of its columns check_name, wallet_key, stored, '
'expected, difference, details) with each row''s finding key as a run stages it: wallet key '
'(or -) / details item, numbered #n when several rows share it, in the order of their '
'details, difference, stored and expected (the same rows get the same numbers in every run and '
're-check). Shared by recon.fix''s re-check (_recon.fix_recheck), '
'_recon.run_stage_checks, _recon.replica_rows and _recon.replica_recheck.';

REVOKE EXECUTE ON FUNCTION _recon.stage_keys_sql(text) FROM PUBLIC;
