-- _recon.fix_post_after(): the per-column running balances of the wallet a side moves.
CREATE OR REPLACE FUNCTION _recon.fix_post_after(
    INOUT p_side jsonb, INOUT p_afters jsonb, p_ledger _recon.ledger_source, p_after_sql text
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_key text := p_ledger.name || '/' || (p_side ->> 'wallet');
    v_result jsonb;
BEGIN
    -- A running balance per column: the wallet's last entry's (in entry order,
    -- as the chain check reads them, under the fix's lock), else 0, plus this
    -- entry's effect; then what this fix posted before on the same wallet.
    IF NOT p_afters ? v_key THEN
        EXECUTE p_after_sql INTO v_result USING p_side ->> 'wallet';
        p_afters := p_afters || jsonb_build_object(v_key, COALESCE(v_result, (
            SELECT jsonb_object_agg(a.key, 0)
            FROM jsonb_each(p_ledger.after_columns) AS a)));
    END IF;
    p_afters := p_afters || jsonb_build_object(v_key, (
        SELECT jsonb_object_agg(a.key, COALESCE(a.value::numeric, 0)
                                       + COALESCE((p_side -> 'deltas'
                                                   ->> a.key)::numeric, 0))
        FROM jsonb_each_text(p_afters -> v_key) AS a));
    p_side := p_side || jsonb_build_object('after', p_afters -> v_key);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_after(jsonb, jsonb, _recon.ledger_source, text) IS
'For _recon.fix_post, on a ledger with a running balance per column (after_columns): side '
'p_side with its "after": the wallet''s last entry''s running balances (p_after_sql, from '
'_recon.fix_post_sql, under the fix''s lock), else 0, plus what this fix posted before on it '
'and this side''s deltas. p_afters carries them between calls: {ledger/wallet: {column: value}}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_after(jsonb, jsonb, _recon.ledger_source, text)
FROM PUBLIC;
