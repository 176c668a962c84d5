-- _recon.fix_offset_currency(): a posting against an offset wallet of another currency than
-- its wallet's is refused in the plan, as the conservation check would refuse it applying.
CREATE OR REPLACE FUNCTION _recon.fix_offset_currency(p_stage bigint, p_currency jsonb)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_steps integer;
BEGIN
    -- A double-entry posting moves the wallet and its offset wallet by opposite amounts, booked
    -- in the wallet's currency (the plan's stored_change and ledger_change). An offset wallet
    -- of another currency (a USD world account funding a EUR wallet) would take EUR into a USD
    -- balance: the totals of neither currency move as planned, and _recon.fix_conserve refuses
    -- the whole fix (RC307). The dry run says so now, with the currencies: the offset wallet is
    -- the posting's own (a reversal's), else the writer's; currencies are the wallets' currency
    -- column (p_currency, read by _recon.fix_currencies), compared as _recon.fix_conserve does.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', moves = '{}',
        note = format('the writer''s offset wallet %s holds %s, wallet %s %s: a posting against '
                      || 'it would book %s into a %s balance (the totals of each currency would '
                      || 'not conserve); register a writer whose offset wallet holds %s, or '
                      || 'repair by hand', x.offset_wallet, COALESCE(x.theirs, 'no currency'),
                      s.wallet_key, COALESCE(x.own, 'no currency'), COALESCE(x.own, 'money'),
                      COALESCE(x.theirs, 'currency-less'), COALESCE(x.own, 'its currency'))
    FROM (
        SELECT DISTINCT ON (st.step) st.step, o.offset_wallet,
               p_currency -> st.wallet_source ->> st.wallet_key AS own,
               p_currency -> st.wallet_source ->> o.offset_wallet AS theirs
        FROM _recon.fix_stage AS st
        LEFT JOIN _recon.writer AS w ON w.ledger_source = st.ledger_source
        CROSS JOIN LATERAL jsonb_array_elements(st.postings) WITH ORDINALITY AS p (value, n)
        CROSS JOIN LATERAL (
            SELECT CASE WHEN p.value ? 'offset_wallet' THEN p.value ->> 'offset_wallet'
                        ELSE w.offset_wallet END AS offset_wallet
        ) AS o
        WHERE st.stage_id = p_stage AND st.status = 'planned' AND st.wallet_key IS NOT NULL
          AND o.offset_wallet IS NOT NULL AND o.offset_wallet <> st.wallet_key
          -- a source with a currency column, and an offset wallet that is in its table
          AND p_currency -> st.wallet_source ? o.offset_wallet
          AND (p_currency -> st.wallet_source ->> st.wallet_key)
              IS DISTINCT FROM (p_currency -> st.wallet_source ->> o.offset_wallet)
        ORDER BY st.step, p.n
    ) AS x
    WHERE s.stage_id = p_stage AND s.step = x.step;
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    RETURN v_steps;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_offset_currency(bigint, jsonb) IS
'Phase of _recon.fix_assess, after _recon.fix_currencies (p_currency: {wallet source: {wallet '
'key: currency}}): skips, with a note naming the offset wallet and both currencies, a planned '
'step with a posting against an offset wallet (the posting''s own, else its writer''s) whose '
'currency column differs from the wallet''s: applying it would fail the conservation check '
'(_recon.fix_conserve, RC307), so the dry run never plans it. The wallet''s other steps follow '
'(_recon.fix_all_or_nothing). Returns how many steps.';

REVOKE EXECUTE ON FUNCTION _recon.fix_offset_currency(bigint, jsonb) FROM PUBLIC;
