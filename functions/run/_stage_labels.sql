-- _recon.stage_labels(): a run's staged findings of one check get their wallet's label.
CREATE OR REPLACE FUNCTION _recon.stage_labels(p_run bigint, p_check _recon.check_def)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_wallet _recon.wallet_source;
BEGIN
    SELECT w.* INTO v_wallet FROM _recon.wallet_source AS w WHERE w.name = p_check.wallet_source;
    IF v_wallet.label_column IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format(
        'UPDATE _recon.run_stage AS s SET details = s.details || jsonb_build_object(''label'', '
        || 'w.%1$I::text) FROM %2$s AS w WHERE s.run_id = $1 AND s.check_name = $2 '
        || 'AND s.wallet_key = w.%3$I::text AND w.%1$I IS NOT NULL AND NOT s.details ? ''label''',
        v_wallet.label_column, v_wallet.relid::regclass, v_wallet.key_column
    ) USING p_run, p_check.name;
END;
$body$;

COMMENT ON FUNCTION _recon.stage_labels(bigint, _recon.check_def) IS
'Adds to each finding a run staged for the check the label of its wallet (details "label"), '
'when the wallet source names a label column: findings of every kind, the CLI and the HTML '
'report show it beside the key. A balance check''s own SQL already carries it.';

REVOKE EXECUTE ON FUNCTION _recon.stage_labels(bigint, _recon.check_def) FROM PUBLIC;
