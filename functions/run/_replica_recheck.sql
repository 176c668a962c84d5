-- _recon.replica_recheck(): open findings a standby's result would resolve, checked here.
CREATE OR REPLACE FUNCTION _recon.replica_recheck(p_run bigint, p_names text[])
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_keys text[];
    v_kept text[];
    v_all jsonb := '[]'::jsonb;
BEGIN
    -- The findings open here that the standby's result (staged for p_run) no longer holds are
    -- what the run would resolve. Each is checked again on the primary now (under the
    -- reconcile lock the caller holds): one the primary still finds is staged as the primary
    -- sees it, so it stays open. A result can hide no drift the primary still has. Keys are
    -- matched without their #n (several findings of one key are numbered in no fixed order):
    -- one the primary finds under a key the open findings share is staged under its own.
    -- A finding of no wallet (NULL key: entries of no wallet) is re-checked too: the NULL
    -- goes in the keys, and _recon.recheck_sql reads those entries for it.
    FOR v_check IN
        SELECT c.* FROM _recon.check_def AS c
        WHERE c.name = ANY (p_names)
          AND EXISTS (SELECT FROM _recon.finding AS f
                      WHERE f.check_name = c.name AND f.resolved_run IS NULL
                        AND f.dropped_at IS NULL
                        AND NOT EXISTS (SELECT FROM _recon.run_stage AS s
                                        WHERE s.run_id = p_run AND s.check_name = f.check_name
                                          AND s.finding_key = f.finding_key))
        ORDER BY c.name LOOP
        v_keys := ARRAY(SELECT DISTINCT f.wallet_key FROM _recon.finding AS f
                        WHERE f.check_name = v_check.name AND f.resolved_run IS NULL
                          AND f.dropped_at IS NULL
                          AND NOT EXISTS (SELECT FROM _recon.run_stage AS s
                                          WHERE s.run_id = p_run
                                            AND s.check_name = f.check_name
                                            AND s.finding_key = f.finding_key));
        EXECUTE format(
            'WITH kept AS (INSERT INTO _recon.run_stage (run_id, check_name, finding_key, '
            || 'wallet_key, stored, expected, difference, details, cause, currency) '
            || 'SELECT $2, g.* FROM (%s) AS g '
            || 'WHERE EXISTS (SELECT FROM _recon.finding AS f WHERE f.resolved_run IS NULL '
            || 'AND f.dropped_at IS NULL AND f.check_name = g.check_name '
            || 'AND regexp_replace(f.finding_key, ''#[0-9]+$'', '''') '
            || '= regexp_replace(g.finding_key, ''#[0-9]+$'', '''')) '
            || 'ON CONFLICT (run_id, check_name, finding_key) DO NOTHING '
            || 'RETURNING finding_key) SELECT array_agg(k.finding_key ORDER BY k.finding_key) '
            || 'FROM kept AS k',
            _recon.stage_rows_sql(v_check, _recon.stage_keys_sql(_recon.recheck_sql(v_check))))
        INTO v_kept USING v_keys, p_run;
        SELECT v_all || COALESCE(jsonb_agg(jsonb_build_object('check', v_check.name,
                                                              'finding_key', k)), '[]')
        INTO v_all FROM unnest(v_kept) AS k;
    END LOOP;
    RETURN v_all;
END;
$body$;

COMMENT ON FUNCTION _recon.replica_recheck(bigint, text[]) IS
'For recon.record_replica_run, under the reconcile lock: every finding open on the primary '
'that the standby''s result staged for run p_run no longer holds (of checks p_names) is '
'checked again on the primary (_recon.recheck_sql for its wallets); one the primary still '
'finds is staged as the primary sees it (labels and currency by _recon.stage_rows_sql), so '
'the run keeps it open. Returns those kept open: [{check, finding_key}].';

REVOKE EXECUTE ON FUNCTION _recon.replica_recheck(bigint, text[]) FROM PUBLIC;
