-- _recon.stage_rules(): a run's staged findings of one check get their label and currency.
CREATE OR REPLACE FUNCTION _recon.stage_rules(p_run bigint, p_check _recon.check_def)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- the staged rows are not analyzed yet (estimated as one): a nested loop would read the
-- check's staged rows once per staged row, quadratic in the findings; a hash join reads each once
SET enable_nestloop = off
AS $body$
BEGIN
    -- The rules of _recon.stage_rows_sql (shared with a run read on a standby), applied to the
    -- rows staged for the check.
    EXECUTE format(
        'UPDATE _recon.run_stage AS s SET details = g.details, currency = g.currency '
        || 'FROM (%s) AS g WHERE s.run_id = $1 AND s.check_name = $2 '
        || 'AND s.finding_key = g.finding_key '
        || 'AND (s.details, s.currency) IS DISTINCT FROM (g.details, g.currency)',
        _recon.stage_rows_sql(p_check,
                              'SELECT t.check_name, t.finding_key, t.wallet_key, t.stored, '
                              || 't.expected, t.difference, t.details FROM _recon.run_stage '
                              || 'AS t WHERE t.run_id = $1 AND t.check_name = $2')
    ) USING p_run, p_check.name;
END;
$body$;

COMMENT ON FUNCTION _recon.stage_rules(bigint, _recon.check_def) IS
'Gives each finding a run staged for the check the label of its wallet (details "label", when '
'the wallet source names a label column and the check gave none) and its currency (the '
'finding''s own, else its one wallet''s currency column for a wallet_keyed kind, else the '
'check''s currency option, else NULL: unknown, never guessed), by the rules of '
'_recon.stage_rows_sql, which a run read on a standby shares. The same rule recon.fix() gives '
'a step''s currency by.';

REVOKE EXECUTE ON FUNCTION _recon.stage_rules(bigint, _recon.check_def) FROM PUBLIC;
