-- _recon.replica_rows(): one check's findings as a run stages them, read only (a standby).
CREATE OR REPLACE FUNCTION _recon.replica_rows(p_check _recon.check_def)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_rows jsonb;
BEGIN
    -- What recon.reconcile() stages from the check's view (_recon.stage_keys_sql), with the
    -- label and currency it then gives them (_recon.stage_rows_sql, which _recon.stage_rules
    -- applies on the primary): the same generators, in the one SELECT a read-only transaction
    -- can run.
    EXECUTE format(
        'SELECT COALESCE(jsonb_agg(to_jsonb(g) ORDER BY g.finding_key), ''[]''::jsonb) '
        || 'FROM (%s) AS g',
        _recon.stage_rows_sql(p_check, _recon.stage_keys_sql(
            format('SELECT * FROM recon.%I', p_check.view_name))))
    INTO v_rows;
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.replica_rows(_recon.check_def) IS
'The findings of one check as recon.reconcile() stages them (finding key, amounts, details '
'with the wallet''s label, cause, currency: the generators _recon.stage_keys_sql and '
'_recon.stage_rows_sql that a run on the primary uses too), as a jsonb array, from one SELECT: '
'what a run read on a standby (recon.replica_findings) sends to the primary.';

REVOKE EXECUTE ON FUNCTION _recon.replica_rows(_recon.check_def) FROM PUBLIC;
