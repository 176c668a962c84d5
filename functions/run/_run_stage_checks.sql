-- _recon.run_stage_checks(): every check's findings of a run, staged; how each check ran.
CREATE OR REPLACE FUNCTION _recon.run_stage_checks(p_run bigint, p_names text[], p_mode text)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_reason text;
    v_watermark text;
    v_modes jsonb := '{}'::jsonb;
    v_check_started timestamptz;
    v_rows bigint;
    v_done integer := 0;
    -- Progress (a NOTICE per check) only when the caller asks: wallet-recon check on a terminal.
    v_progress CONSTANT boolean := COALESCE(current_setting('wallet_recon.progress', TRUE), '')
        = 'on';
BEGIN
    -- A check that fails makes the whole run fail: nothing is recorded from a run that could
    -- not see everything it was asked to. In incremental mode a balance check runs from its
    -- watermark when that can be shown to give the full result (_recon.balance_increment), and
    -- in full otherwise; a full balance check leaves a watermark for the next incremental run.
    PERFORM _recon.checks_intact(p_names);  -- RC204: a view or table a DROP ... CASCADE took
    PERFORM _recon.wallet_keys_repeated(p_names);  -- RC203: a key on two wallet rows
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c WHERE c.name = ANY (p_names)
                   ORDER BY c.name LOOP
        v_reason := CASE WHEN p_mode = 'full' THEN 'full mode'
                         WHEN v_check.kind <> 'balance' THEN 'only balance checks run incrementally'
                         ELSE _recon.balance_increment(v_check, p_run) END;
        v_watermark := NULL;
        v_check_started := clock_timestamp();
        v_rows := 0;
        -- a balance check's full run leaves its incremental state from the same pass
        IF v_reason IS NOT NULL AND v_check.kind = 'balance' THEN
            v_watermark := COALESCE(_recon.balance_full(v_check, p_run), 'set');
        END IF;
        IF v_reason IS NOT NULL AND v_watermark IS DISTINCT FROM 'set' THEN
            EXECUTE format('INSERT INTO _recon.run_stage (run_id, check_name, finding_key, '
                           || 'wallet_key, stored, expected, difference, details, cause) '
                           || 'SELECT $1, k.*, k.details ->> ''cause'' FROM (%s) AS k',
                           _recon.stage_keys_sql(format('SELECT * FROM recon.%I',
                                                        v_check.view_name))) USING p_run;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
        ELSIF v_reason IS NOT NULL AND v_progress THEN
            SELECT count(*) INTO v_rows FROM _recon.run_stage AS s
            WHERE s.run_id = p_run AND s.check_name = v_check.name;
        END IF;
        PERFORM _recon.stage_rules(p_run, v_check);
        v_modes := v_modes || jsonb_build_object(v_check.name, jsonb_strip_nulls(jsonb_build_object(
            'mode', CASE WHEN v_reason IS NULL THEN 'incremental' ELSE 'full' END,
            'why_full', CASE WHEN p_mode = 'incremental' THEN v_reason END,
            'watermark', v_watermark)));
        v_done := v_done + 1;
        IF v_progress THEN
            RAISE NOTICE 'wallet-recon progress: %/% %: % finding(s) in % ms',
                v_done, cardinality(p_names), v_check.name, v_rows,
                round(extract(EPOCH FROM clock_timestamp() - v_check_started) * 1000);
        END IF;
    END LOOP;
    RETURN v_modes;
END;
$body$;

COMMENT ON FUNCTION _recon.run_stage_checks(bigint, text[], text) IS
'Phase 3 of recon.reconcile: stages the findings of the named checks for run p_run, in name '
'order, each from its view (a balance check incrementally from its watermark when '
'_recon.balance_increment shows that gives the full result, else in full, leaving a '
'watermark), with labels and currencies; a NOTICE per check when wallet_recon.progress = on. '
'Returns how each check ran (mode, why_full, watermark), by check name.';

REVOKE EXECUTE ON FUNCTION _recon.run_stage_checks(bigint, text[], text) FROM PUBLIC;
