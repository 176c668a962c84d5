-- _recon.fix_post_running(): the running balance of the wallet a side of a posting moves.
CREATE OR REPLACE FUNCTION _recon.fix_post_running(
    INOUT p_side jsonb, INOUT p_state jsonb, p_ledger _recon.ledger_source, p_chain text,
    p_balance_check text, p_first jsonb, p_pre jsonb
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_key text := p_ledger.name || '/' || (p_side ->> 'wallet');
    v_value numeric;
BEGIN
    -- The ledger's running balance of this wallet: its stored balance less the
    -- drift its balance check saw under the lock, plus what this fix posted.
    -- Kept for the wallet in hand (a plan's steps come wallet by wallet) and
    -- for the few offset wallets: never a map of every wallet, rebuilt per entry.
    IF p_side ->> 'side' = 'offset' THEN
        v_value := (p_state -> 'offsets' ->> v_key)::numeric;
    ELSIF v_key IS DISTINCT FROM p_state ->> 'main_key' THEN
        p_state := p_state || jsonb_build_object('main_key', v_key);
        v_value := NULL;
    ELSE
        v_value := (p_state ->> 'main_value')::numeric;
    END IF;
    IF v_value IS NULL THEN
        v_value := COALESCE(
            (p_first -> (p_ledger.wallet_source || '/' || (p_side ->> 'wallet'))
             ->> p_chain)::numeric,
            _recon.fix_wallet_value(p_ledger.wallet_source, p_side ->> 'wallet',
                                    p_chain))
            - COALESCE(
                -- the wallet's drift as read under the lock where the plan
                -- read it (payments, reversals), else as its check found it
                (p_pre -> 'drift' -> p_ledger.wallet_source -> (p_side ->> 'wallet')
                 ->> p_chain)::numeric,
                (p_pre -> 'checks' -> p_balance_check
                 ->> ((p_side ->> 'wallet') || '/' || p_chain))::numeric, 0);
    END IF;
    v_value := v_value + (p_side -> 'deltas' ->> p_chain)::numeric;
    IF p_side ->> 'side' = 'offset' THEN
        p_state := jsonb_set(p_state, '{offsets}', COALESCE(p_state -> 'offsets', '{}'::jsonb)
                                                   || jsonb_build_object(v_key, v_value));
    ELSE
        p_state := p_state || jsonb_build_object('main_value', v_value);
    END IF;
    p_side := p_side || jsonb_build_object('balance_after', v_value);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_running(
    jsonb, jsonb, _recon.ledger_source, text, text, jsonb, jsonb
) IS
'For _recon.fix_post, on a ledger that keeps a running balance of column p_chain: side p_side '
'with its "balance_after": the wallet''s stored balance before the plan (p_first, else read) '
'less the drift read under the lock (p_pre: the plan''s drift, else its balance check '
'p_balance_check''s), plus what the fix posted before and this side''s delta. p_state carries '
'the running balances between calls: {"offsets": {ledger/wallet: value}, "main_key", '
'"main_value": the wallet in hand}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_running(
    jsonb, jsonb, _recon.ledger_source, text, text, jsonb, jsonb
) FROM PUBLIC;
