-- _recon.fix_payment_currency(): an orphaned payment in another currency than its wallet's, or
-- of unknown currency among wallets of several, is left to a person.
CREATE OR REPLACE FUNCTION _recon.fix_payment_currency(p_stage bigint, p_currency jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_several jsonb := '{}'::jsonb;
    v_many boolean;
BEGIN
    -- The wallet sources of the payments to post whose currency no one declared: do their
    -- wallets hold several currencies (then which one the payment is in is unknown)?
    FOR v_ws IN SELECT DISTINCT w.* FROM _recon.fix_stage AS s
                JOIN _recon.check_def AS c ON c.name = s.check_name
                JOIN _recon.wallet_source AS w ON w.name = s.wallet_source
                WHERE s.stage_id = p_stage AND s.status = 'planned'
                  AND s.strategy = 'post_missing' AND c.kind = 'orphan'
                  AND NOT c.options ? 'currency_column' AND c.currency IS NULL
                  AND w.currency_column IS NOT NULL LOOP
        v_many := (_recon.fix_read(format(
            'SELECT to_jsonb(count(DISTINCT upper(w.%I::text)) > 1) FROM %s AS w',
            v_ws.currency_column, v_ws.relid::regclass)) #>> '{}')::boolean;
        v_several := v_several || jsonb_build_object(v_ws.name, v_many);
    END LOOP;
    -- A payment is posted in its wallet's currency, as the amount it was made for: a JPY 5000
    -- charge into a USD wallet would be booked as USD 5000 (as an entry of another currency,
    -- _recon.fix_mixed_currency). The payment's currency is its "currency_column", else the
    -- check's "currency"; the wallet's, its currency column (p_currency, read now).
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = CASE WHEN x.paid IS NULL THEN format(
                   'the orphan check %s does not say the payment''s currency, and the wallets '
                   || 'of %s hold several: declare its "currency_column" (recon.register_check), '
                   || 'or post it by hand', s.check_name, s.wallet_source)
               ELSE format('payment %s is in %s, its wallet %s in %s: posting it would book a '
                           || 'foreign amount into the wallet''s currency; post it by hand to a '
                           || 'wallet of its currency', x.source_id, x.paid,
                           s.wallet_key, x.own) END
    FROM (
        SELECT s0.step, f.details ->> 'source_id' AS source_id,
               CASE WHEN c.options ? 'currency_column' THEN f.details ->> 'currency'
                    ELSE c.currency END AS paid,
               p_currency -> s0.wallet_source ->> s0.wallet_key AS own
        FROM _recon.fix_stage AS s0
        JOIN _recon.finding AS f ON f.id = s0.finding_id
        JOIN _recon.check_def AS c ON c.name = s0.check_name AND c.kind = 'orphan'
        WHERE s0.stage_id = p_stage AND s0.status = 'planned' AND s0.strategy = 'post_missing'
    ) AS x
    WHERE s.stage_id = p_stage AND s.step = x.step
      AND CASE WHEN x.paid IS NULL THEN (v_several ->> s.wallet_source)::boolean
               ELSE x.own IS NOT NULL AND upper(x.paid) <> upper(x.own) END;
    -- (The wallet's balance steps: _recon.fix_hold_orphan_wallets, after this phase.)
END;
$body$;

COMMENT ON FUNCTION _recon.fix_payment_currency(bigint, jsonb) IS
'Phase of _recon.fix_assess, after _recon.fix_currencies (p_currency: {wallet source: {wallet '
'key: currency}}): a planned post_missing becomes manual when the payment''s currency (the '
'orphan check''s "currency_column", else its "currency") differs from its wallet''s currency '
'column (case aside), or is unknown while the wallets of the source hold several currencies '
'(then _recon.fix_hold_orphan_wallets leaves the wallet''s balance steps to a person too).';

REVOKE EXECUTE ON FUNCTION _recon.fix_payment_currency(bigint, jsonb) FROM PUBLIC;
