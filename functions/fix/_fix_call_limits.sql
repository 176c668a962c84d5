-- _recon.fix_call_limits(): one amount given to recon.fix(), read in each planned check's currency.
CREATE OR REPLACE FUNCTION _recon.fix_call_limits(p_stage bigint, p_amount numeric, p_what text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_checks text;
BEGIN
    IF p_amount IS NULL THEN
        RETURN NULL;
    END IF;
    -- As for a check's own options: one amount is the limit of the check's currency, or "*"
    -- for a check where nothing carries a currency; a check whose wallets or entries each
    -- carry one and that names none cannot read it (9.5 BTC is not 9.5 JPY).
    SELECT string_agg(DISTINCT c.name, ', ' ORDER BY c.name) INTO v_checks
    FROM _recon.check_def AS c
    WHERE c.name IN (SELECT s.check_name FROM _recon.fix_stage AS s
                     WHERE s.stage_id = p_stage AND s.status = 'planned')
      AND c.currency IS NULL
      AND _recon.check_row_currency(c.kind, c.ledger_source, c.wallet_source) IS NOT NULL;
    IF v_checks IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC302', format('%s %s names no currency', p_what, p_amount),
            format('The amounts of check(s) %s are in each wallet''s or entry''s own currency, '
                   || 'and they name no currency of their own.', v_checks),
            format('Give %ss per currency, e.g. %ss => ''{"USD": %s, "JPY": 50000}'' (the CLI: '
                   || '--%s USD=%s,JPY=50000); "*" applies one amount to every currency not '
                   || 'named.', p_what, p_what, p_amount, replace(p_what, '_', '-'), p_amount));
    END IF;
    RETURN (SELECT jsonb_object_agg(x.currency, p_amount)
            FROM (SELECT DISTINCT COALESCE(c.currency, '*') AS currency
                  FROM _recon.check_def AS c
                  WHERE c.name IN (SELECT s.check_name FROM _recon.fix_stage AS s
                                   WHERE s.stage_id = p_stage)) AS x);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_call_limits(bigint, numeric, text) IS
'recon.fix()''s wallet_limit or run_limit given as one amount, as a map per currency: the '
'amount for the currency of each check the plan repairs, "*" for a check without one where '
'nothing carries a currency; RC302 when a planned check''s wallets or entries each carry a '
'currency and it names none (wallet_limits / run_limits name them).';

REVOKE EXECUTE ON FUNCTION _recon.fix_call_limits(bigint, numeric, text) FROM PUBLIC;
