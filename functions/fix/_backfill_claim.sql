-- _recon.backfill_claim(): lock the offset wallet and the owners, claim each owner once.
CREATE OR REPLACE FUNCTION _recon.backfill_claim(
    p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text,
    p_reason text, p_invoker name
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
BEGIN
    EXECUTE format('SELECT FROM %s AS w WHERE w.%I = $1::%s FOR UPDATE',
                   v_ws.relid::regclass, v_ws.key_column, p_target ->> 'key_type')
    USING p_target ->> 'offset_wallet';
    -- The owners, locked (an application creating a wallet for one of them, with a foreign
    -- key to it, waits), then the coverage check again under the lock: an owner who got a
    -- wallet since the plan is skipped.
    EXECUTE format('SELECT FROM %s AS o WHERE o.%I::text = ANY ($1) ORDER BY o.%I FOR UPDATE',
                   (p_target ->> 'owner_table')::oid::regclass, p_check.options ->> 'owner_key',
                   p_check.options ->> 'owner_key')
    USING ARRAY(SELECT s.finding_key FROM _recon.fix_stage AS s
                WHERE s.stage_id = p_stage AND s.status = 'planned');
    EXECUTE format($q$
        UPDATE _recon.fix_stage AS s SET status = 'skipped',
            note = 'has a wallet now: created since the plan'
        WHERE s.stage_id = $1 AND s.status = 'planned'
          AND NOT EXISTS (SELECT FROM recon.%I AS v WHERE v.wallet_key = s.finding_key)$q$,
        p_check.view_name)
    USING p_stage;
    -- each owner once: a second run, or a concurrent one, finds the claim
    PERFORM _recon.fix_claim(p_stage, p_fix, p_ticket, p_reason, p_invoker);
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_claim(
    bigint, bigint, _recon.check_def, jsonb, text, text, name
) IS
'Phase 3 of recon.backfill: locks the offset wallet and the owners (FOR UPDATE, in key order), '
'skips an owner who got a wallet since the plan, and claims each remaining owner''s repair key '
'for fix p_fix (_recon.fix_claim), so that a second or concurrent backfill skips it.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_claim(
    bigint, bigint, _recon.check_def, jsonb, text, text, name
) FROM PUBLIC;
